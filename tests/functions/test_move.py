"""Moving licenses between subscriptions over HTTP: the reseller's path and the contract."""

from __future__ import annotations

from typing import Any

import pytest

from shared.services import Services
from shared.subscriptions.model import Permission, Status
from tests.api_client import ApiClient
from tests.factories import drain_license_sync, make_subscription
from tests.functions.test_licenses import license_of
from tests.shared.admins.factories import deliver_emails, make_api_key, make_delegate
from tests.shared.licenses.helpers import (
    addresses,
    assert_consistent,
    lookup_emails,
    seat_emails,
)

OWNER = "owner@contoso.com"
STRANGER = "stranger@contoso.com"
DELEGATE = "delegate@contoso.com"


@pytest.fixture
def owner(api: ApiClient) -> ApiClient:
    return api.login(OWNER)


def move_url(subscription_id: str) -> str:
    return f"/api/subscriptions/{subscription_id}/licenses/move"


def assign(client: ApiClient, subscription_id: str, emails: list[str], label: str | None) -> None:
    body: dict[str, Any] = {"emails": emails}
    if label:
        body["label"] = label
    response = client.post(f"/api/subscriptions/{subscription_id}/licenses", json=body)
    assert response.status_code == 200, response.text


def activity(client: ApiClient, subscription_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/subscriptions/{subscription_id}/activity")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def inbox(api: ApiClient, email: str) -> list[Any]:
    items: list[Any] = api.get("/api/dev/emails", params={"to": email}).json()["items"]
    return items


def test_a_reseller_moves_a_clients_labelled_licenses_to_the_clients_own_subscription(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    shared = make_subscription(services, OWNER, quantity=40, name="Reseller shared").id
    own = make_subscription(services, OWNER, quantity=30, name="Northwind").id
    northwind = addresses(30, "northwind.com")
    assign(owner, shared, northwind, "Northwind")
    assign(owner, shared, ["ann@fabrikam.com"], "Fabrikam")
    drain_license_sync(services)
    deliver_emails(services)
    assert len(inbox(api, northwind[7])) == 1
    before = owner.get(f"/api/subscriptions/{shared}/licenses", params={"limit": 1000}).json()
    assigned_at = {item["email"]: item["assigned_at"] for item in before["items"]}

    response = owner.post(move_url(shared), json={"to": own, "label": "Northwind"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(item["email"] for item in body["moved"]) == northwind
    assert body["not_assigned"] == []
    assert {item["label"] for item in body["moved"]} == {"Northwind"}
    assert all(item["assigned_at"] == assigned_at[item["email"]] for item in body["moved"])
    assert seat_emails(services, own) == set(northwind)
    assert seat_emails(services, shared) == {"ann@fabrikam.com"}
    assert lookup_emails(services, own) == set(northwind)
    assert lookup_emails(services, shared) == {"ann@fabrikam.com"}
    assert assert_consistent(services, own).assigned == 30
    assert assert_consistent(services, shared).available == 39
    answer = license_of(api, northwind[7])
    assert answer["licensed"] is True and answer["subscription"] == "Northwind"
    # No second welcome email.
    drain_license_sync(services)
    deliver_emails(services)
    assert len(inbox(api, northwind[7])) == 1
    # Both logs name the other subscription.
    moved_out = [e for e in activity(owner, shared) if e["action"] == "licenses_moved"]
    moved_in = [e for e in activity(owner, own) if e["action"] == "licenses_moved"]
    assert len(moved_out) == len(moved_in) == 1
    assert moved_out[0]["detail"].startswith("to Northwind: ")
    assert moved_in[0]["detail"].startswith("from Reseller shared: ")
    assert moved_out[0]["target"] == moved_in[0]["target"] == "30 licenses"


def test_moving_by_address_reports_those_without_a_license_and_keeps_the_shared_mark(
    services: Services, owner: ApiClient
) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=5, name="Target").id
    assign(owner, source, ["a@contoso.com", "b@contoso.com"], None)
    marked = owner.patch(
        f"/api/subscriptions/{source}/licenses/b@contoso.com", json={"shared_mailbox": True}
    )
    assert marked.status_code == 200, marked.text

    response = owner.post(
        move_url(source),
        json={"to": target, "emails": [" B@Contoso.com", "nobody@contoso.com", "b@contoso.com"]},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(m["email"], m["shared_mailbox"], m["label"]) for m in body["moved"]] == [
        ("b@contoso.com", True, None)
    ]
    assert body["not_assigned"] == ["nobody@contoso.com"]
    assert seat_emails(services, source) == {"a@contoso.com"}
    assert seat_emails(services, target) == {"b@contoso.com"}


def test_a_null_label_moves_the_licenses_without_one(services: Services, owner: ApiClient) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=5, name="Target").id
    assign(owner, source, ["a@contoso.com"], None)
    assign(owner, source, ["b@contoso.com"], "Sales")
    response = owner.post(move_url(source), json={"to": target, "label": None})
    assert response.status_code == 200, response.text
    assert [m["email"] for m in response.json()["moved"]] == ["a@contoso.com"]
    assert seat_emails(services, source) == {"b@contoso.com"}


def test_all_or_nothing_when_the_target_lacks_seats(services: Services, owner: ApiClient) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=3, name="Small").id
    assign(owner, target, ["x@contoso.com"], None)
    emails = addresses(3)
    assign(owner, source, emails, None)

    response = owner.post(move_url(source), json={"to": target, "emails": emails})

    assert response.status_code == 409, response.text
    problem = response.json()
    assert (problem["code"], problem["available"], problem["requested"]) == (
        "not_enough_seats",
        2,
        3,
    )
    assert seat_emails(services, source) == set(emails)
    assert seat_emails(services, target) == {"x@contoso.com"}
    assert assert_consistent(services, source).assigned == 3
    assert assert_consistent(services, target).assigned == 1
    from shared.licenses.move import open_moves

    assert open_moves(services, source) == []


def test_an_address_already_licensed_in_the_target_needs_no_seat_there(
    services: Services, owner: ApiClient
) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=1, name="Full").id
    assign(owner, target, ["a@contoso.com"], None)
    assign(owner, source, ["a@contoso.com"], None)

    response = owner.post(move_url(source), json={"to": target, "emails": ["a@contoso.com"]})

    assert response.status_code == 200, response.text
    assert [m["email"] for m in response.json()["moved"]] == ["a@contoso.com"]
    assert assert_consistent(services, source).assigned == 0
    assert assert_consistent(services, target).assigned == 1


@pytest.mark.parametrize("status", [Status.PENDING, Status.EXPIRED])
def test_a_target_whose_licenses_do_not_work_is_refused(
    services: Services, owner: ApiClient, status: Status
) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=5, status=status).id
    assign(owner, source, ["a@contoso.com"], None)

    response = owner.post(move_url(source), json={"to": target, "emails": ["a@contoso.com"]})

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "subscription_not_active"
    assert seat_emails(services, source) == {"a@contoso.com"}


def test_a_past_due_target_takes_licenses(services: Services, owner: ApiClient) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=5, status=Status.PAST_DUE).id
    assign(owner, source, ["a@contoso.com"], None)
    response = owner.post(move_url(source), json={"to": target, "emails": ["a@contoso.com"]})
    assert response.status_code == 200, response.text
    assert seat_emails(services, target) == {"a@contoso.com"}


def test_a_target_the_caller_cannot_reach_is_not_found_and_without_assign_forbidden(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    source = make_subscription(services, OWNER, quantity=5)
    assign(owner, source.id, ["a@contoso.com"], None)
    foreign = make_subscription(services, STRANGER, quantity=5, name="Foreign")
    viewer_only = make_subscription(services, STRANGER, quantity=5, name="Viewed")
    make_delegate(services, viewer_only, OWNER, {Permission.VIEW})
    body = {"emails": ["a@contoso.com"]}

    for target, status, code in (
        (foreign.id, 404, "not_found"),
        ("00000000-0000-0000-0000-000000000000", 404, "not_found"),
        (viewer_only.id, 403, "forbidden"),
    ):
        response = owner.post(move_url(source.id), json={**body, "to": target})
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
    # A delegate without `assign` on the source is refused before the target counts.
    make_delegate(services, source, DELEGATE, {Permission.VIEW})
    target = make_subscription(services, DELEGATE, quantity=5, name="Delegate's")
    response = api.login(DELEGATE).post(move_url(source.id), json={**body, "to": target.id})
    assert response.status_code == 403, response.text
    # An API key reaches one subscription: any other target does not exist for it.
    key = make_api_key(services, source, {Permission.ASSIGN})
    client = api.fresh()
    client.session.headers["Authorization"] = f"Bearer {key}"
    mine = make_subscription(services, OWNER, quantity=5, name="Mine")
    response = client.post(move_url(source.id), json={**body, "to": mine.id})
    assert response.status_code == 404, response.text
    assert seat_emails(services, source.id) == {"a@contoso.com"}


@pytest.mark.parametrize(
    "body",
    [
        {"emails": ["a@contoso.com"], "label": "Sales"},
        {},
        {"emails": None, "label": "Sales"},
        {"emails": None},
        {"emails": []},
        {"emails": ["not an address"]},
        {"emails": [f"u{i}@contoso.com" for i in range(1001)]},
        {"label": "x" * 101},
    ],
)
def test_bad_bodies_are_422_naming_the_problem(
    services: Services, owner: ApiClient, body: dict[str, Any]
) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    target = make_subscription(services, OWNER, quantity=5).id
    response = owner.post(move_url(source), json={"to": target, **body})
    assert response.status_code == 422, response.text
    assert response.json()["errors"], response.text


def test_moving_into_the_same_subscription_is_422(services: Services, owner: ApiClient) -> None:
    source = make_subscription(services, OWNER, quantity=5).id
    assign(owner, source, ["a@contoso.com"], None)
    response = owner.post(move_url(source), json={"to": source, "emails": ["a@contoso.com"]})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "to"


def test_a_move_of_more_seats_than_a_transaction_holds_commits_in_steps(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    source = make_subscription(services, OWNER, quantity=150).id
    target = make_subscription(services, OWNER, quantity=130, name="Big").id
    emails = addresses(120)
    assign(owner, source, emails, "Bulk")
    response = owner.post(move_url(source), json={"to": target, "emails": emails})
    assert response.status_code == 200, response.text
    assert len(response.json()["moved"]) == 120
    assert seat_emails(services, target) == set(emails)
    assert lookup_emails(services, target) == set(emails)
    assert seat_emails(services, source) == set()
    assert lookup_emails(services, source) == set()
    assert assert_consistent(services, source).assigned == 0
    assert assert_consistent(services, target).assigned == 120
    assert license_of(api, emails[100])["subscription"] == "Big"
    drain_license_sync(services)
    deliver_emails(services)
    assert len(inbox(api, emails[100])) == 1
