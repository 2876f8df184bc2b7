"""Ownership transfer to an active administrator."""

from __future__ import annotations

from typing import Any

import pytest

from shared.licenses.check import check_license
from shared.licenses.lookup import lookup_table
from shared.licenses.model import auto_key
from shared.services import Services
from shared.subscriptions.activity import list_activity
from shared.subscriptions.memberships import membership_ids
from shared.subscriptions.model import Permission
from shared.subscriptions.store import get_subscription
from tests.api_client import ApiClient
from tests.shared.admins.factories import (
    deliver_emails,
    invite,
    make_delegate,
    make_subscription,
    user,
)

OWNER = "owner@contoso.com"
SUCCESSOR = "successor@contoso.com"


def admins_of(client: ApiClient, subscription_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/subscriptions/{subscription_id}/admins")
    assert response.status_code == 200, response.text
    return {item["email"]: item for item in response.json()["items"]}


def mailbox(api: ApiClient, services: Services, to: str) -> list[dict[str, Any]]:
    deliver_emails(services)
    items: list[dict[str, Any]] = api.get("/api/dev/emails", params={"to": to}).json()["items"]
    return items


def test_ownership_moves_to_an_active_administrator(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER, name="Contoso")
    make_delegate(services, subscription, SUCCESSOR, {Permission.ASSIGN})
    make_delegate(services, subscription, "bystander@contoso.com", {Permission.VIEW})
    deliver_emails(services)
    owner = api.login(OWNER)

    response = owner.post(
        f"/api/subscriptions/{subscription.id}/transfer", json={"email": " Successor@Contoso.com"}
    )

    assert response.status_code == 200, response.text
    view = response.json()
    assert view["owner"] == {"email": SUCCESSOR}
    assert view["role"] == "administrator"
    assert view["permissions"] == ["view", "assign", "quantity", "billing"]
    record = get_subscription(services, subscription.id)
    assert record.owner.email == SUCCESSOR
    assert record.owner.user_id == user(SUCCESSOR).user_id

    successor = api.login(SUCCESSOR)
    admins = admins_of(successor, subscription.id)
    assert set(admins) == {OWNER, "bystander@contoso.com"}
    assert admins[OWNER]["status"] == "active"
    assert admins[OWNER]["permissions"] == ["view", "assign", "quantity", "billing"]

    # The new owner manages administrators; the previous owner no longer can.
    invited = successor.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": "new@contoso.com", "permissions": ["view"]},
    )
    assert invited.status_code == 201
    refused = owner.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": "other@contoso.com", "permissions": ["view"]},
    )
    assert refused.status_code == 403
    # ...but still reaches it with every permission.
    assert owner.get(f"/api/subscriptions/{subscription.id}/admins").status_code == 200
    for person in (OWNER, SUCCESSOR):
        assert subscription.id in membership_ids(services, user(person).user_id or "")

    for person in (OWNER, SUCCESSOR):
        emails = mailbox(api, services, person)
        (email,) = [e for e in emails if e["text"].startswith("Ownership has moved")]
        assert OWNER in email["text"] and SUCCESSOR in email["text"]
        assert f"/subscriptions/{subscription.id}" in email["text"]
    entries = list_activity(services, subscription.id, 100, None).items
    assert ("ownership_transferred", SUCCESSOR) in [(e.action, e.target) for e in entries]


def test_the_previous_owner_can_be_given_ownership_back(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER)
    make_delegate(services, subscription, SUCCESSOR, {Permission.VIEW})
    assert (
        api.login(OWNER)
        .post(f"/api/subscriptions/{subscription.id}/transfer", json={"email": SUCCESSOR})
        .status_code
        == 200
    )

    back = api.login(SUCCESSOR).post(
        f"/api/subscriptions/{subscription.id}/transfer", json={"email": OWNER}
    )

    assert back.status_code == 200, back.text
    assert get_subscription(services, subscription.id).owner.email == OWNER
    admins = admins_of(api.login(OWNER), subscription.id)
    assert set(admins) == {SUCCESSOR}


@pytest.mark.parametrize(
    ("email", "code"),
    [
        (OWNER, "already_owner"),
        ("pending@contoso.com", "administrator_not_active"),
        ("stranger@contoso.com", "not_an_administrator"),
    ],
)
def test_ownership_moves_only_to_an_active_administrator(
    api: ApiClient, services: Services, email: str, code: str
) -> None:
    subscription = make_subscription(services, OWNER)
    make_delegate(services, subscription, SUCCESSOR, {Permission.VIEW})
    invite(services, subscription, "pending@contoso.com", {Permission.VIEW})
    owner = api.login(OWNER)
    before = admins_of(owner, subscription.id)

    response = owner.post(f"/api/subscriptions/{subscription.id}/transfer", json={"email": email})

    assert response.status_code == 409
    assert response.json()["code"] == code
    assert get_subscription(services, subscription.id).owner.email == OWNER
    assert admins_of(owner, subscription.id) == before


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": SUCCESSOR, "keep": True}])
def test_a_bad_transfer_request_is_422(
    api: ApiClient, services: Services, body: dict[str, Any]
) -> None:
    subscription = make_subscription(services, OWNER)
    make_delegate(services, subscription, SUCCESSOR, {Permission.VIEW})
    response = api.login(OWNER).post(f"/api/subscriptions/{subscription.id}/transfer", json=body)
    assert response.status_code == 422
    assert get_subscription(services, subscription.id).owner.email == OWNER


def test_only_the_owner_transfers(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER)
    make_delegate(services, subscription, SUCCESSOR, set(Permission))
    path = f"/api/subscriptions/{subscription.id}/transfer"

    by_delegate = api.login(SUCCESSOR).post(path, json={"email": SUCCESSOR})
    by_stranger = api.login("stranger@contoso.com").post(path, json={"email": SUCCESSOR})

    assert by_delegate.status_code == 403
    assert by_stranger.status_code == 404
    assert get_subscription(services, subscription.id).owner.email == OWNER


def test_auto_assign_follows_the_new_owners_tenant(api: ApiClient, services: Services) -> None:
    """After a transfer, the domain's users of the new owner's tenant get seats, and those of
    the previous owner's tenant no longer do."""
    successor = "it@fabrikam.com"
    subscription = make_subscription(services, OWNER, name="Contoso")
    owner = api.login(OWNER)
    listed = owner.put(
        f"/api/subscriptions/{subscription.id}/auto-assign", json={"domains": ["fabrikam.com"]}
    )
    assert listed.status_code == 200, listed.text
    make_delegate(
        services, get_subscription(services, subscription.id), successor, {Permission.VIEW}
    )
    moved = owner.post(f"/api/subscriptions/{subscription.id}/transfer", json={"email": successor})
    assert moved.status_code == 200, moved.text

    rows = [
        row
        for row in lookup_table(services).list_entities()
        if row["RowKey"] == auto_key(subscription.id)
    ]
    assert [row["tenant_id"] for row in rows] == [user(successor).tenant_id]
    # A user of the new owner's tenant gets a seat from their license check.
    answer = check_license(services, "ann@fabrikam.com", user(successor).tenant_id)
    assert answer["licensed"] is True
    # A user of the previous owner's tenant (who also writes fabrikam.com addresses) does not.
    stranger = check_license(services, "bob@fabrikam.com", user(OWNER).tenant_id)
    assert stranger["licensed"] is False
