"""Administrators of a subscription: invite, list, change permissions, remove; bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.services import Services
from shared.subscriptions.access import authorize
from shared.subscriptions.activity import list_activity
from shared.subscriptions.memberships import membership_ids
from shared.subscriptions.model import Permission
from tests.api_client import ApiClient
from tests.shared.admins.factories import (
    deliver_emails,
    invitation_tokens,
    make_delegate,
    make_subscription,
    user,
)

OWNER = "owner@contoso.com"
COLLEAGUE = "colleague@contoso.com"


@pytest.fixture
def subscription_id(services: Services) -> str:
    return make_subscription(services, OWNER).id


@pytest.fixture
def owner(api: ApiClient) -> ApiClient:
    return api.login(OWNER)


def admins_of(client: ApiClient, subscription_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/subscriptions/{subscription_id}/admins")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def mailbox(api: ApiClient, services: Services) -> list[dict[str, Any]]:
    deliver_emails(services)
    items: list[dict[str, Any]] = api.get("/api/dev/emails").json()["items"]
    return items


def actions(services: Services, subscription_id: str) -> list[tuple[str, str | None]]:
    page = list_activity(services, subscription_id, 100, None)
    return [(item.action, item.target) for item in page.items]


def test_inviting_creates_a_pending_administrator(
    api: ApiClient, services: Services, owner: ApiClient, subscription_id: str
) -> None:
    response = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        json={"email": COLLEAGUE, "permissions": ["assign", "assign"]},
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["email"] == COLLEAGUE
    assert created["status"] == "invited"
    assert created["permissions"] == ["view", "assign"]
    assert created["accepted_at"] is None
    assert admins_of(owner, subscription_id) == [created]
    assert actions(services, subscription_id) == [("administrator_invited", COLLEAGUE)]
    assert len(invitation_tokens(api, services, COLLEAGUE)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": COLLEAGUE, "permissions": ["admin"]}, "permissions[0]"),
        ({"email": COLLEAGUE, "permissions": ["view", "owner"]}, "permissions[1]"),
        ({"email": COLLEAGUE, "permissions": ["VIEW"]}, "permissions[0]"),
        ({"email": COLLEAGUE, "permissions": []}, "permissions"),
        ({"email": COLLEAGUE, "permissions": "view"}, "permissions"),
        ({"email": COLLEAGUE}, "permissions"),
        ({"email": "not an address", "permissions": ["view"]}, "email"),
        ({"permissions": ["view"]}, "email"),
        ({"email": COLLEAGUE, "permissions": ["view"], "role": "owner"}, "role"),
    ],
)
def test_bad_invitations_are_refused_and_change_nothing(
    api: ApiClient,
    services: Services,
    owner: ApiClient,
    subscription_id: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = owner.post(f"/api/subscriptions/{subscription_id}/admins", json=body)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in [error["field"] for error in problem["errors"]]
    assert admins_of(owner, subscription_id) == []
    assert mailbox(api, services) == []
    assert actions(services, subscription_id) == []


def test_a_body_that_is_not_json_is_a_400(owner: ApiClient, subscription_id: str) -> None:
    response = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert admins_of(owner, subscription_id) == []


@pytest.mark.parametrize("email", [OWNER, " Owner@Contoso.COM "])
def test_inviting_the_owner_is_a_conflict(
    api: ApiClient, services: Services, owner: ApiClient, subscription_id: str, email: str
) -> None:
    response = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        json={"email": email, "permissions": ["view"]},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_owner"
    assert admins_of(owner, subscription_id) == []
    assert mailbox(api, services) == []


@pytest.mark.parametrize("accepted", [False, True])
def test_inviting_an_administrator_again_is_a_conflict(
    api: ApiClient, services: Services, owner: ApiClient, accepted: bool
) -> None:
    subscription = make_subscription(services, OWNER)
    subscription_id = subscription.id
    if accepted:
        make_delegate(services, subscription, COLLEAGUE, {Permission.ASSIGN})
    else:
        first = owner.post(
            f"/api/subscriptions/{subscription_id}/admins",
            json={"email": COLLEAGUE, "permissions": ["assign"]},
        )
        assert first.status_code == 201
    before = admins_of(owner, subscription_id)
    sent = len(mailbox(api, services))

    again = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        json={"email": "Colleague@Contoso.com", "permissions": ["billing"]},
    )

    assert again.status_code == 409
    assert again.json()["code"] == "already_administrator"
    assert admins_of(owner, subscription_id) == before
    assert len(mailbox(api, services)) == sent


def test_racing_invitations_of_one_address_make_one_administrator(
    api: ApiClient, services: Services, subscription_id: str
) -> None:
    clients = [api.login(OWNER) for _ in range(6)]

    def invite(client: ApiClient) -> int:
        response = client.post(
            f"/api/subscriptions/{subscription_id}/admins",
            json={"email": COLLEAGUE, "permissions": ["view"]},
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = sorted(pool.map(invite, clients))

    assert statuses == [201] + [409] * (len(clients) - 1)
    assert len(admins_of(clients[0], subscription_id)) == 1
    assert len(invitation_tokens(api, services, COLLEAGUE)) == 1


def test_changing_permissions_takes_effect_on_the_next_request(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)
    admin_id = make_delegate(services, subscription, COLLEAGUE, {Permission.ASSIGN})

    response = owner.patch(
        f"/api/subscriptions/{subscription.id}/admins/{admin_id}",
        json={"permissions": ["billing", "quantity"]},
    )

    assert response.status_code == 200, response.text
    assert response.json()["permissions"] == ["view", "quantity", "billing"]
    assert response.json()["status"] == "active"
    _, access = authorize(services, user(COLLEAGUE), subscription.id)
    assert access.permissions == {Permission.VIEW, Permission.QUANTITY, Permission.BILLING}
    assert ("administrator_permissions_changed", COLLEAGUE) in actions(services, subscription.id)


@pytest.mark.parametrize(
    "body", [{"permissions": []}, {"permissions": ["root"]}, {}, {"permissions": None}]
)
def test_bad_permission_changes_are_refused_and_change_nothing(
    services: Services, owner: ApiClient, body: dict[str, Any]
) -> None:
    subscription = make_subscription(services, OWNER)
    admin_id = make_delegate(services, subscription, COLLEAGUE, {Permission.ASSIGN})
    before = admins_of(owner, subscription.id)

    response = owner.patch(f"/api/subscriptions/{subscription.id}/admins/{admin_id}", json=body)

    assert response.status_code == 422
    assert admins_of(owner, subscription.id) == before


@pytest.mark.parametrize("admin_id", ["0123456789abcdef", "nothex", "a" * 200])
def test_unknown_administrators_are_404(
    owner: ApiClient, subscription_id: str, admin_id: str
) -> None:
    base = f"/api/subscriptions/{subscription_id}/admins/{admin_id}"
    assert owner.patch(base, json={"permissions": ["view"]}).status_code == 404
    assert owner.delete(base).status_code == 404
    assert owner.post(base + "/resend").status_code == 404


def test_a_removed_administrator_loses_access_on_its_next_request(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)
    admin_id = make_delegate(services, subscription, COLLEAGUE, {Permission.ASSIGN})
    colleague = api.login(COLLEAGUE)
    assert colleague.get(f"/api/subscriptions/{subscription.id}/admins").status_code == 200

    response = owner.delete(f"/api/subscriptions/{subscription.id}/admins/{admin_id}")

    assert response.status_code == 204
    assert colleague.get(f"/api/subscriptions/{subscription.id}/admins").status_code == 404
    assert subscription.id not in membership_ids(services, user(COLLEAGUE).user_id or "")
    assert admins_of(owner, subscription.id) == []
    assert ("administrator_removed", COLLEAGUE) in actions(services, subscription.id)
    # The address can be invited again.
    again = owner.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": COLLEAGUE, "permissions": ["view"]},
    )
    assert again.status_code == 201


def test_a_delegate_may_remove_itself_but_no_one_else(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)
    own_id = make_delegate(services, subscription, COLLEAGUE, {Permission.VIEW})
    other_id = make_delegate(services, subscription, "other@contoso.com", {Permission.BILLING})
    colleague = api.login(COLLEAGUE)
    base = f"/api/subscriptions/{subscription.id}/admins"

    refused = colleague.delete(f"{base}/{other_id}")
    left = colleague.delete(f"{base}/{own_id}")

    assert refused.status_code == 403
    assert left.status_code == 204
    assert [item["email"] for item in admins_of(owner, subscription.id)] == ["other@contoso.com"]
    assert colleague.get(base).status_code == 404


def test_an_api_key_cannot_manage_administrators(
    api: ApiClient, services: Services, owner: ApiClient
) -> None:
    subscription = make_subscription(services, OWNER)
    admin_id = make_delegate(services, subscription, COLLEAGUE, {Permission.VIEW})
    created = owner.post(
        f"/api/subscriptions/{subscription.id}/api-keys",
        json={"name": "script", "permissions": ["view", "assign", "quantity"]},
    )
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    base = f"/api/subscriptions/{subscription.id}/admins"
    script = api.fresh()

    assert script.get(base, headers=key).status_code == 200
    invite = script.post(
        base, headers=key, json={"email": "x@contoso.com", "permissions": ["view"]}
    )
    assert invite.status_code == 403
    assert script.delete(f"{base}/{admin_id}", headers=key).status_code == 403
    assert [item["email"] for item in admins_of(owner, subscription.id)] == [COLLEAGUE]


def test_the_list_is_paged(services: Services, owner: ApiClient) -> None:
    subscription = make_subscription(services, OWNER)
    for number in range(5):
        make_delegate(services, subscription, f"a{number}@contoso.com", {Permission.VIEW})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = owner.get(f"/api/subscriptions/{subscription.id}/admins", params=params).json()
        assert len(page["items"]) <= 2
        seen += [item["email"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"a{number}@contoso.com" for number in range(5)]
    bad = owner.get(f"/api/subscriptions/{subscription.id}/admins", params={"cursor": "!!"})
    assert bad.status_code == 400
