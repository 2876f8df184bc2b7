"""Abandoned checkouts: Cancel and checkout.session.expired remove the pending subscription, and
an owner holds at most five checkouts waiting for payment."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.billing.pending import MAX_PENDING_CHECKOUTS
from shared.billing.webhook import Outcome
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription, subscriptions_table
from tests.api_client import ApiClient
from tests.billing import factories
from tests.billing.factories import deliver, make_subscription, new_event_id

PORTAL = "http://127.0.0.1:7071"


def start(owner: ApiClient, quantity: int = 3) -> tuple[str, str]:
    """A checkout of the signed-in owner: (subscription id, session id)."""
    started = owner.post("/api/checkout", json={"quantity": quantity})
    assert started.status_code == 201, started.text
    return started.json()["subscription_id"], started.json()["url"].rsplit("/", 1)[1]


def listed_ids(owner: ApiClient) -> list[str]:
    response = owner.get("/api/subscriptions")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def partition(services: Services, subscription_id: str) -> list[Any]:
    return list(
        subscriptions_table(services).query_entities(
            "PartitionKey eq @pk", parameters={"pk": subscription_id}
        )
    )


def directory_rows_naming(services: Services, subscription_id: str) -> list[Any]:
    """Our rows that point at the subscription (local Stripe keeps its expired session, as
    Stripe does)."""
    table = services.storage.table(DIRECTORY_TABLE)
    return [
        row
        for row in table.list_entities()
        if not row["PartitionKey"].startswith("localpay|")
        and (row["RowKey"] == subscription_id or row.get("subscription_id") == subscription_id)
    ]


def listed_membership(services: Services, subscription_id: str) -> bool:
    return any(
        row["RowKey"] == subscription_id for row in directory_rows_naming(services, subscription_id)
    )


def expired_event(
    subscription_id: str, *, created: int | None = None, event_id: str | None = None
) -> dict[str, Any]:
    obj = {
        "id": "cs_test_expired",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "expired",
        "payment_status": "unpaid",
        "client_reference_id": subscription_id,
        "customer": None,
        "subscription": None,
        "metadata": {"subscription_id": subscription_id},
    }
    return factories.local.event_object(
        "checkout.session.expired",
        obj,
        created if created is not None else int(time.time()),
        event_id=event_id or new_event_id(),
    )


# --- the local checkout's Cancel --------------------------------------------------------


def test_cancel_removes_the_pending_subscription_and_returns_to_the_purchase_page(
    api: ApiClient, services: Services
) -> None:
    ann = api.login("ann@contoso.com")
    subscription_id, session_id = start(ann)
    page = ann.get(f"/api/dev/checkout/{session_id}")
    assert f'action="/api/dev/checkout/{session_id}/cancel"' in page.text
    assert ">Cancel</button>" in page.text
    assert listed_ids(ann) == [subscription_id]

    canceled = ann.post(f"/api/dev/checkout/{session_id}/cancel")

    assert canceled.status_code == 303
    assert canceled.headers["Location"] == f"{PORTAL}/purchase?canceled=1"
    assert listed_ids(ann) == []
    assert ann.get(f"/api/subscriptions/{subscription_id}").status_code == 404
    assert partition(services, subscription_id) == []
    assert directory_rows_naming(services, subscription_id) == []
    assert "was canceled" in ann.get(f"/api/dev/checkout/{session_id}").text


def test_cancel_twice_goes_back_twice_and_a_canceled_checkout_cannot_be_paid(
    api: ApiClient,
) -> None:
    ann = api.login("ann@contoso.com")
    _, session_id = start(ann)
    first = ann.post(f"/api/dev/checkout/{session_id}/cancel")
    second = ann.post(f"/api/dev/checkout/{session_id}/cancel")
    assert first.status_code == second.status_code == 303

    paid = ann.post(f"/api/dev/checkout/{session_id}/complete")

    assert paid.status_code == 409
    assert paid.json()["code"] == "checkout_expired"
    assert listed_ids(ann) == []


def test_a_paid_checkout_cannot_be_canceled(api: ApiClient) -> None:
    ann = api.login("ann@contoso.com")
    subscription_id, session_id = start(ann)
    assert ann.post(f"/api/dev/checkout/{session_id}/complete").status_code == 303

    canceled = ann.post(f"/api/dev/checkout/{session_id}/cancel")

    assert canceled.status_code == 409
    assert canceled.json()["code"] == "checkout_complete"
    assert ann.get(f"/api/subscriptions/{subscription_id}").json()["status"] == "active"


def test_cancel_of_an_unknown_session_is_404(api: ApiClient) -> None:
    response = api.post("/api/dev/checkout/cs_local_nope/cancel")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- at most five pending checkouts -----------------------------------------------------


def test_the_sixth_pending_checkout_is_refused_until_one_is_canceled_or_paid(
    api: ApiClient,
) -> None:
    ann = api.login("ann@contoso.com")
    started = [start(ann) for _ in range(MAX_PENDING_CHECKOUTS)]

    refused = ann.post("/api/checkout", json={"quantity": 1})

    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "too_many_pending_checkouts"
    assert len(listed_ids(ann)) == MAX_PENDING_CHECKOUTS
    # Another owner is not affected.
    assert (
        api.login("bob@fabrikam.com").post("/api/checkout", json={"quantity": 1}).status_code == 201
    )

    ann.post(f"/api/dev/checkout/{started[0][1]}/cancel")
    sixth = start(ann)
    assert ann.post("/api/checkout", json={"quantity": 1}).status_code == 409

    # A paid checkout stops counting.
    assert ann.post(f"/api/dev/checkout/{started[1][1]}/complete").status_code == 303
    seventh = start(ann)
    assert ann.post("/api/checkout", json={"quantity": 1}).status_code == 409
    assert {sixth[0], seventh[0]} <= set(listed_ids(ann))


def test_racing_checkouts_of_one_owner_never_leave_more_than_five_pending(
    api: ApiClient,
) -> None:
    ann = api.login("ann@contoso.com")
    ann.post(f"/api/dev/checkout/{start(ann)[1]}/cancel")  # a freed slot in the mix

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: ann.post("/api/checkout", json={"quantity": 1}), range(8))
        )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * MAX_PENDING_CHECKOUTS + [409] * 3, [a.text for a in answers]
    pending = [
        item
        for item in ann.get("/api/subscriptions").json()["items"]
        if item["status"] == "pending"
    ]
    assert len(pending) == MAX_PENDING_CHECKOUTS


# --- checkout.session.expired at the webhook --------------------------------------------


def test_an_expired_checkout_event_over_http_removes_the_pending_subscription(
    api: ApiClient, services: Services
) -> None:
    ann = api.login("ann@contoso.com")
    subscription_id, _ = start(ann)

    delivered = factories.post_event(api, expired_event(subscription_id))
    again = factories.post_event(api, expired_event(subscription_id))

    assert delivered.status_code == again.status_code == 200
    assert delivered.json()["outcome"] == "applied"
    assert again.json()["outcome"] == "ignored"
    assert listed_ids(ann) == []
    assert partition(services, subscription_id) == []


def paid_history(subscription_id: str, now: int) -> list[dict[str, Any]]:
    return [
        factories.checkout_completed_event(subscription_id, created=now),
        factories.subscription_event(
            subscription_id,
            stripe_status="active",
            created=now,
            event_type="customer.subscription.created",
        ),
        factories.invoice_event(subscription_id, event_type="invoice.paid", created=now + 1),
    ]


# The paid history in every order, with the expiry after any point where a linking event
# (0: checkout completed, 1: subscription created) has arrived: a Checkout Session that expired
# never completes, so an expiry before both is not a history of one session.
LINKED_ORDERS = [
    (order, expiry_after)
    for order in itertools.permutations(range(3))
    for expiry_after in (1, 2, 3)
    if {0, 1} & set(order[:expiry_after])
]


@pytest.mark.parametrize(("order", "expiry_after"), LINKED_ORDERS)
def test_an_expiry_after_the_purchase_is_linked_changes_nothing_in_any_order(
    services: Services, order: tuple[int, ...], expiry_after: int
) -> None:
    subscription = make_subscription(services)
    now = int(time.time())
    history = paid_history(subscription.id, now)
    deliveries = [history[index] for index in order]
    deliveries.insert(expiry_after, expired_event(subscription.id, created=now + 2))

    for event in deliveries:
        deliver(services, event)

    kept = get_subscription(services, subscription.id)
    assert kept.status is Status.ACTIVE and kept.stripe_subscription_id == "sub_1"
    assert listed_membership(services, subscription.id)


def test_redelivered_expiries_remove_once_and_are_acknowledged(services: Services) -> None:
    subscription = make_subscription(services)
    expired = expired_event(subscription.id)
    outcomes = [
        deliver(services, event) for event in (expired, expired, expired_event(subscription.id))
    ]

    assert outcomes == [Outcome.APPLIED, Outcome.IGNORED, Outcome.IGNORED]
    assert partition(services, subscription.id) == []
    assert directory_rows_naming(services, subscription.id) == []


def test_an_expired_event_for_an_unknown_subscription_is_acknowledged(
    services: Services,
) -> None:
    assert deliver(services, expired_event("no-such-subscription")) is Outcome.IGNORED


def test_expiry_removes_every_row_of_a_large_pending_partition(services: Services) -> None:
    subscription = make_subscription(services)
    table = subscriptions_table(services)
    for number in range(130):  # more than one transaction's worth
        table.create_entity(
            {"PartitionKey": subscription.id, "RowKey": f"activity|{number:04d}", "x": 1}
        )

    assert deliver(services, expired_event(subscription.id)) is Outcome.APPLIED
    assert partition(services, subscription.id) == []
