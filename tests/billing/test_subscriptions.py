"""Reading and changing subscriptions: who may, rename, seat quantity, invoices, races."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from shared.billing.gateway import payments_gateway
from shared.billing.local import LocalPayments
from shared.services import Services
from shared.storage.clients import LICENSE_SYNC_QUEUE
from shared.subscriptions.model import Permission, Status
from shared.subscriptions.store import get_subscription, record_update, submit
from tests.api_client import ApiClient
from tests.billing.factories import activity, bought, make_subscription, rows
from tests.shared.admins.factories import bearer, make_api_key, make_delegate


def local_stripe_quantity(services: Services, subscription_id: str) -> int:
    gateway = payments_gateway(services)
    assert isinstance(gateway, LocalPayments)
    stripe_id = get_subscription(services, subscription_id).stripe_subscription_id
    assert stripe_id is not None
    return int(gateway._subscription(stripe_id).item["quantity"])


def set_assigned(services: Services, subscription_id: str, assigned: int) -> None:
    current = get_subscription(services, subscription_id)
    submit(services, [record_update(current.with_changes(assigned=assigned))])


# --- reading ----------------------------------------------------------------------------


def test_a_subscription_is_read_by_those_who_reach_it_only(
    api: ApiClient, services: Services
) -> None:
    ann, subscription_id = bought(api)
    stranger = api.login("eve@fabrikam.example")

    mine = ann.get(f"/api/subscriptions/{subscription_id}")
    theirs = stranger.get(f"/api/subscriptions/{subscription_id}")

    assert mine.status_code == 200 and mine.json()["id"] == subscription_id
    assert theirs.status_code == 404 and theirs.json()["code"] == "not_found"
    assert stranger.get("/api/subscriptions").json() == {"items": [], "next_cursor": None}
    assert api.get("/api/subscriptions").status_code == 401
    assert ann.get("/api/subscriptions/not-a-real-id").status_code == 404


def test_the_list_is_newest_first(api: ApiClient, services: Services) -> None:
    older = make_subscription(services, name="Older")
    services.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    newer = make_subscription(services, name="Newer")
    ann = api.login("ann@contoso.com")

    items = ann.get("/api/subscriptions").json()["items"]

    assert [s["id"] for s in items] == [newer.id, older.id]


def test_the_list_is_paged(api: ApiClient, services: Services) -> None:
    made = []
    for number in range(5):
        made.append(make_subscription(services, name=f"Client {number}"))
        services.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    ann = api.login("ann@contoso.com")

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ann.get("/api/subscriptions", params=params).json()
        assert len(page["items"]) <= 2
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [s.id for s in reversed(made)]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"cursor": "bm90IG91cnM"}])
def test_bad_subscription_paging_is_refused(api: ApiClient, params: dict[str, Any]) -> None:
    ann = api.login("ann@contoso.com")
    response = ann.get("/api/subscriptions", params=params)
    assert response.status_code in (400, 422)
    assert response.headers["Content-Type"].startswith("application/problem+json")


# --- who may do what --------------------------------------------------------------------

OPERATIONS = ("get", "rename", "quantity", "preview", "portal", "invoices")


def attempt(client: ApiClient, subscription_id: str, operation: str, **kwargs: Any) -> int:
    """Try an operation that changes nothing when allowed (same name, same quantity)."""
    path = f"/api/subscriptions/{subscription_id}"
    if operation == "get":
        return client.get(path, **kwargs).status_code
    if operation == "rename":
        return client.patch(path, json={"name": "contoso.com"}, **kwargs).status_code
    if operation == "quantity":
        return client.patch(path, json={"quantity": 5}, **kwargs).status_code
    if operation == "preview":
        return client.post(path + "/quantity-preview", json={"quantity": 7}, **kwargs).status_code
    if operation == "portal":
        return client.post(path + "/billing-portal", **kwargs).status_code
    return client.get(path + "/invoices", **kwargs).status_code


def expected(operation: str, permissions: frozenset[Permission], owner: bool = False) -> int:
    needs = {
        "get": Permission.VIEW,
        "quantity": Permission.QUANTITY,
        "preview": Permission.QUANTITY,
        "portal": Permission.BILLING,
        "invoices": Permission.BILLING,
    }
    if owner:
        return 200
    if operation == "rename":
        return 403
    return 200 if needs[operation] in permissions | {Permission.VIEW} else 403


ALL_SETS = [
    frozenset(combination)
    for size in range(4)
    for combination in itertools.combinations(
        (Permission.ASSIGN, Permission.QUANTITY, Permission.BILLING), size
    )
]


def test_each_operation_needs_its_permission_for_every_kind_of_caller(
    api: ApiClient, services: Services
) -> None:
    ann, subscription_id = bought(api)
    subscription = get_subscription(services, subscription_id)
    stranger = api.login("eve@fabrikam.example")

    for operation in OPERATIONS:
        assert attempt(ann, subscription_id, operation) == 200, operation
        assert attempt(stranger, subscription_id, operation) == 404, operation
        assert attempt(api, subscription_id, operation) == 401, operation

    for index, permissions in enumerate(ALL_SETS):
        email = f"delegate{index}@contoso.com"
        make_delegate(services, subscription, email, set(permissions) | {Permission.VIEW})
        delegate = api.login(email)
        # API keys never hold `billing` (shared.admins.api_keys).
        key = (
            make_api_key(services, subscription, set(permissions))
            if Permission.BILLING not in permissions
            else None
        )
        for operation in OPERATIONS:
            want = expected(operation, permissions)
            assert attempt(delegate, subscription_id, operation) == want, (operation, permissions)
            if key is not None:
                with_key = attempt(api, subscription_id, operation, headers=bearer(key))
                assert with_key == want, ("key", operation, permissions)

    # Nothing changed along the way.
    after = get_subscription(services, subscription_id)
    assert (after.name, after.quantity) == ("contoso.com", 5)
    changes = {"quantity_changed", "subscription_renamed"}
    assert [entry for entry in activity(services, subscription_id) if entry[0] in changes] == []


# --- rename -----------------------------------------------------------------------------


def test_the_owner_renames_a_subscription(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)

    response = ann.patch(f"/api/subscriptions/{subscription_id}", json={"name": "  Client A  "})

    assert response.status_code == 200
    assert response.json()["name"] == "Client A"
    assert get_subscription(services, subscription_id).name == "Client A"
    assert ("subscription_renamed", "contoso.com → Client A") in activity(services, subscription_id)
    assert services.storage.queue(LICENSE_SYNC_QUEUE).peek_messages(max_messages=10)


BAD_CHANGES: list[tuple[Any, str]] = [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": 10001}, "quantity"),
    ({"quantity": 7.5}, "quantity"),
    ({"quantity": "7"}, "quantity"),
    ({"quantity": False}, "quantity"),
    ({"name": ""}, "name"),
    ({"name": " "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": ["Contoso"]}, "name"),
    ({"name": "Contoso", "status": "active"}, "status"),
    ({"assigned": 0}, "assigned"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CHANGES)
def test_bad_changes_are_a_422_naming_the_field_and_change_nothing(
    api: ApiClient, services: Services, body: Any, field: str
) -> None:
    ann, subscription_id = bought(api)
    before = get_subscription(services, subscription_id)

    response = ann.patch(f"/api/subscriptions/{subscription_id}", json=body)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    after = get_subscription(services, subscription_id)
    assert after.etag == before.etag
    assert local_stripe_quantity(services, subscription_id) == 5


# --- quantity ---------------------------------------------------------------------------


def test_the_owner_changes_the_seat_count(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)

    response = ann.patch(
        f"/api/subscriptions/{subscription_id}", json={"quantity": 12, "name": "Contoso"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["quantity"], body["available"], body["name"]) == (12, 12, "Contoso")
    assert local_stripe_quantity(services, subscription_id) == 12
    log = activity(services, subscription_id)
    assert ("quantity_changed", "5 → 12") in log
    assert ("subscription_renamed", "contoso.com → Contoso") in log
    assert rows(services, subscription_id, "lock|") == []
    # Later events from Stripe carry the new quantity.
    ann.post(f"/api/dev/subscriptions/{subscription_id}/events", json={"type": "renewed"})
    assert get_subscription(services, subscription_id).quantity == 12


def test_the_seat_count_cannot_go_below_the_assigned_seats(
    api: ApiClient, services: Services
) -> None:
    ann, subscription_id = bought(api, quantity=10)
    set_assigned(services, subscription_id, 7)

    refused = ann.patch(f"/api/subscriptions/{subscription_id}", json={"quantity": 6})
    allowed = ann.patch(f"/api/subscriptions/{subscription_id}", json={"quantity": 7})

    assert refused.status_code == 409
    assert refused.json()["code"] == "quantity_below_assigned"
    assert refused.json()["assigned"] == 7
    assert allowed.status_code == 200 and allowed.json()["available"] == 0
    assert local_stripe_quantity(services, subscription_id) == 7


@pytest.mark.parametrize("status", [Status.PENDING, Status.EXPIRED])
def test_a_subscription_that_is_not_running_keeps_its_seat_count(
    api: ApiClient, services: Services, status: Status
) -> None:
    subscription = make_subscription(services, status=status)
    ann = api.login("ann@contoso.com")

    response = ann.patch(f"/api/subscriptions/{subscription.id}", json={"quantity": 9})

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_not_active"
    assert get_subscription(services, subscription.id).quantity == 5


def test_concurrent_seat_changes_leave_stripe_and_the_record_in_step(
    api: ApiClient, services: Services
) -> None:
    ann, subscription_id = bought(api)
    wanted = list(range(6, 14))

    def change(quantity: int) -> tuple[int, int]:
        client = ann.fresh()
        client.session.cookies.update(ann.session.cookies)
        response = client.patch(
            f"/api/subscriptions/{subscription_id}", json={"quantity": quantity}
        )
        return quantity, response.status_code

    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        results = list(pool.map(change, wanted))

    statuses = {status for _, status in results}
    assert statuses <= {200, 409}, results
    won = [quantity for quantity, status in results if status == 200]
    assert won
    record = get_subscription(services, subscription_id)
    assert record.quantity == local_stripe_quantity(services, subscription_id)
    assert record.quantity in won
    changes = [
        detail
        for action, detail in activity(services, subscription_id)
        if action == "quantity_changed"
    ]
    assert len(changes) == len(won)
    # The changes form one chain, 5 → a → b → … → the final quantity.
    chain = {detail.split(" → ")[0]: detail.split(" → ")[1] for detail in changes}
    step = "5"
    for _ in changes:
        step = chain[step]
    assert step == str(record.quantity)
    assert rows(services, subscription_id, "lock|") == []


def test_a_stale_quantity_lease_is_taken_over(api: ApiClient, services: Services) -> None:
    from shared.billing.changes import QUANTITY_LOCK_ROW
    from shared.subscriptions.store import subscriptions_table

    ann, subscription_id = bought(api)
    subscriptions_table(services).create_entity(
        {
            "PartitionKey": subscription_id,
            "RowKey": QUANTITY_LOCK_ROW,
            "token": "dead",
            "expires_at": services.clock() - timedelta(seconds=1),
        }
    )

    response = ann.patch(f"/api/subscriptions/{subscription_id}", json={"quantity": 9})

    assert response.status_code == 200
    assert rows(services, subscription_id, "lock|") == []


def test_a_held_quantity_lease_makes_a_change_wait_then_409(
    api: ApiClient, services: Services
) -> None:
    from shared.billing.changes import QUANTITY_LOCK_ROW
    from shared.subscriptions.store import subscriptions_table

    ann, subscription_id = bought(api)
    subscriptions_table(services).create_entity(
        {
            "PartitionKey": subscription_id,
            "RowKey": QUANTITY_LOCK_ROW,
            "token": "busy",
            "expires_at": services.clock() + timedelta(seconds=60),
        }
    )

    response = ann.patch(f"/api/subscriptions/{subscription_id}", json={"quantity": 9})

    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_change"
    assert local_stripe_quantity(services, subscription_id) == 5


# --- billing portal and invoices (local payments) ---------------------------------------


def test_the_local_billing_portal_lists_the_invoices(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)

    url = ann.post(f"/api/subscriptions/{subscription_id}/billing-portal").json()["url"]
    page = ann.get(url.removeprefix("http://127.0.0.1:7071"))

    assert url.startswith("http://127.0.0.1:7071/api/dev/billing/cus_local_")
    assert page.status_code == 200
    assert "25.00 EUR" in page.text
    assert f'href="http://127.0.0.1:7071/subscriptions/{subscription_id}"' in page.text


def test_the_billing_portal_refuses_foreign_return_links(api: ApiClient) -> None:
    ann, subscription_id = bought(api)
    url = ann.post(f"/api/subscriptions/{subscription_id}/billing-portal").json()["url"]
    path = url.removeprefix("http://127.0.0.1:7071").split("?")[0]

    page = ann.get(path, params={"return_url": "https://evil.example/"})

    assert "evil.example" not in page.text


def test_invoices_are_paged_newest_first(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)
    for _ in range(2):
        ann.post(f"/api/dev/subscriptions/{subscription_id}/events", json={"type": "renewed"})
    path = f"/api/subscriptions/{subscription_id}/invoices"

    first = ann.get(path, params={"limit": 2}).json()
    rest = ann.get(path, params={"limit": 2, "cursor": first["next_cursor"]}).json()

    numbers = [i["number"] for i in first["items"] + rest["items"]]
    assert len(numbers) == 3 and numbers == sorted(numbers, reverse=True)
    assert rest["next_cursor"] is None
    created = [i["created_at"] for i in first["items"] + rest["items"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"limit": "many"}, {"cursor": "%%%"}, {"cursor": "YWJj"}],
)
def test_bad_invoice_paging_is_refused(api: ApiClient, params: dict[str, Any]) -> None:
    ann, subscription_id = bought(api)

    response = ann.get(f"/api/subscriptions/{subscription_id}/invoices", params=params)

    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("validation_error", "invalid_cursor")


def test_a_pending_subscription_has_no_invoices_and_no_portal(
    api: ApiClient, services: Services
) -> None:
    subscription = make_subscription(services)
    ann = api.login("ann@contoso.com")

    invoices = ann.get(f"/api/subscriptions/{subscription.id}/invoices")
    portal = ann.post(f"/api/subscriptions/{subscription.id}/billing-portal")

    assert invoices.json() == {"items": [], "next_cursor": None}
    assert portal.status_code == 409 and portal.json()["code"] == "no_billing_account"
