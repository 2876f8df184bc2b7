"""The invitation lifecycle, as the invited colleague and the owner see it over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.admins.invitations import pending_invitations_for
from shared.admins.model import invite_email_key
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.subscriptions.memberships import membership_ids, remove_membership
from shared.subscriptions.model import Permission, Status
from tests.api_client import ApiClient
from tests.conftest import Clock
from tests.factories import change_record
from tests.shared.admins.factories import (
    invitation_tokens,
    make_subscription,
    only_new_token,
    user,
)

OWNER = "owner@contoso.com"
COLLEAGUE = "colleague@contoso.com"


@pytest.fixture
def invited(api: ApiClient, services: Services) -> tuple[str, str, ApiClient]:
    """A subscription, its signed-in owner and a pending invitation of COLLEAGUE with `assign`;
    returns (subscription id, the link's token, the owner's client)."""
    subscription = make_subscription(services, OWNER, name="Contoso")
    owner = api.login(OWNER)
    response = owner.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": COLLEAGUE, "permissions": ["assign"]},
    )
    assert response.status_code == 201, response.text
    (token,) = invitation_tokens(api, services, COLLEAGUE)
    return subscription.id, token, owner


def admin_statuses(api: ApiClient, subscription_id: str) -> dict[str, str]:
    """What the owner's list shows (signed in afresh: tests move the clock past sessions)."""
    response = api.login(OWNER).get(f"/api/subscriptions/{subscription_id}/admins")
    assert response.status_code == 200, response.text
    return {item["email"]: item["status"] for item in response.json()["items"]}


def test_the_email_carries_a_link_to_the_portal_and_what_it_grants(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    response = api.get("/api/dev/emails", params={"to": COLLEAGUE})
    (email,) = response.json()["items"]
    _, token, _ = invited
    assert f"http://127.0.0.1:7071/invitations/{token}" in email["text"]
    assert "Contoso" in email["text"] and "assign" in email["text"]
    assert OWNER in email["text"]


def test_the_accept_page_shows_the_invitation_without_sign_in(
    api: ApiClient, services: Services, clock: Clock, invited: tuple[str, str, ApiClient]
) -> None:
    _, token, _ = invited
    response = api.get(f"/api/invitations/{token}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "subscription_name": "Contoso",
        "invited_by": OWNER,
        "email": COLLEAGUE,
        "permissions": ["view", "assign"],
        "expires_at": (clock.now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_accepting_binds_the_signed_in_colleague_and_the_subscription_appears(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    colleague = api.login(COLLEAGUE)
    me = colleague.get("/api/me").json()
    assert me["subscriptions"] == []
    (waiting,) = me["invitations"]
    assert waiting["subscription_name"] == "Contoso"
    assert waiting["invited_by"] == OWNER
    assert waiting["permissions"] == ["view", "assign"]
    assert token not in str(me)

    response = colleague.post(f"/api/invitations/{token}/accept")

    assert response.status_code == 200, response.text
    view = response.json()
    assert view["id"] == subscription_id
    assert view["role"] == "administrator"
    assert view["permissions"] == ["view", "assign"]
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "active"}
    assert subscription_id in membership_ids(services, user(COLLEAGUE).user_id or "")
    assert pending_invitations_for(services, COLLEAGUE) == []
    me = colleague.get("/api/me").json()
    assert me["invitations"] == []
    assert [(s["id"], s["role"]) for s in me["subscriptions"]] == [
        (subscription_id, "administrator")
    ]
    listed = colleague.get(f"/api/subscriptions/{subscription_id}/admins")
    assert listed.status_code == 200
    (row,) = listed.json()["items"]
    assert row["accepted_at"] is not None


def test_an_invited_colleague_assigns_licenses_but_sees_no_invoices(
    api: ApiClient, services: Services
) -> None:
    """The issue's walk-through: invite with `assign`, mail, sign in, accept, assign, refused."""
    owner = api.login(OWNER)
    started = owner.post("/api/checkout", json={"quantity": 5, "name": "Contoso"})
    assert started.status_code == 201, started.text
    session_id = started.json()["url"].rstrip("/").rsplit("/", 1)[1]
    assert api.fresh().post(f"/api/dev/checkout/{session_id}/complete").status_code == 303
    subscription_id = started.json()["subscription_id"]
    invited = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        json={"email": COLLEAGUE, "permissions": ["assign"]},
    )
    assert invited.status_code == 201

    (token,) = invitation_tokens(api, services, COLLEAGUE)
    colleague = api.login(COLLEAGUE)
    assert colleague.post(f"/api/invitations/{token}/accept").status_code == 200
    assigned = colleague.post(
        f"/api/subscriptions/{subscription_id}/licenses", json={"emails": ["new@contoso.com"]}
    )
    invoices = colleague.get(f"/api/subscriptions/{subscription_id}/invoices")

    assert assigned.status_code == 200, assigned.text
    assert invoices.status_code == 403
    assert owner.get(f"/api/subscriptions/{subscription_id}/invoices").status_code == 200


def test_an_accepted_link_is_used(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, _ = invited
    colleague = api.login(COLLEAGUE)
    assert colleague.post(f"/api/invitations/{token}/accept").status_code == 200
    # As if writing the membership had failed after the acceptance was committed.
    remove_membership(services, user(COLLEAGUE).user_id or "", subscription_id)

    again = colleague.post(f"/api/invitations/{token}/accept")
    shown = api.get(f"/api/invitations/{token}")

    for response in (again, shown):
        assert response.status_code == 410
        assert response.json()["code"] == "invitation_used"
    # Trying again repaired the listing for the user who accepted, and only for them.
    assert subscription_id in membership_ids(services, user(COLLEAGUE).user_id or "")
    intruder = api.login("intruder@contoso.com")
    assert intruder.post(f"/api/invitations/{token}/accept").status_code == 410
    assert membership_ids(services, user("intruder@contoso.com").user_id or "") == []


def test_a_link_works_for_fourteen_days(
    api: ApiClient, services: Services, clock: Clock, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert api.get(f"/api/invitations/{token}").status_code == 200

    clock.advance(timedelta(seconds=1))
    colleague = api.login(COLLEAGUE)
    shown = api.get(f"/api/invitations/{token}")
    accepted = colleague.post(f"/api/invitations/{token}/accept")

    for response in (shown, accepted):
        assert response.status_code == 410
        assert response.json()["code"] == "invitation_expired"
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}
    assert pending_invitations_for(services, COLLEAGUE) == []


def test_resending_mails_a_new_link_and_kills_the_old_one(
    api: ApiClient, services: Services, clock: Clock, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, old_token, owner = invited
    admin_id = owner.get(f"/api/subscriptions/{subscription_id}/admins").json()["items"][0]["id"]
    clock.advance(timedelta(days=13))

    response = api.login(OWNER).post(
        f"/api/subscriptions/{subscription_id}/admins/{admin_id}/resend"
    )

    assert response.status_code == 202
    new_token = only_new_token(api, services, COLLEAGUE, [old_token])
    assert api.get(f"/api/invitations/{old_token}").status_code == 404
    colleague = api.login(COLLEAGUE)
    assert colleague.post(f"/api/invitations/{old_token}/accept").status_code == 404
    # The new link has its own fourteen days.
    clock.advance(timedelta(days=13))
    colleague = api.login(COLLEAGUE)
    assert colleague.post(f"/api/invitations/{new_token}/accept").status_code == 200
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "active"}


def test_an_accepted_invitation_cannot_be_resent(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    assert api.login(COLLEAGUE).post(f"/api/invitations/{token}/accept").status_code == 200
    admin_id = owner.get(f"/api/subscriptions/{subscription_id}/admins").json()["items"][0]["id"]

    response = owner.post(f"/api/subscriptions/{subscription_id}/admins/{admin_id}/resend")

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_already_accepted"
    assert invitation_tokens(api, services, COLLEAGUE) == [token]


def test_removing_a_pending_administrator_revokes_its_link(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    admin_id = owner.get(f"/api/subscriptions/{subscription_id}/admins").json()["items"][0]["id"]

    response = owner.delete(f"/api/subscriptions/{subscription_id}/admins/{admin_id}")

    assert response.status_code == 204
    assert api.get(f"/api/invitations/{token}").status_code == 404
    colleague = api.login(COLLEAGUE)
    assert colleague.post(f"/api/invitations/{token}/accept").status_code == 404
    assert colleague.get(f"/api/subscriptions/{subscription_id}/admins").status_code == 404
    assert admin_statuses(api, subscription_id) == {}
    assert pending_invitations_for(services, COLLEAGUE) == []


def test_another_account_cannot_accept(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    intruder = api.login("intruder@contoso.com")

    response = intruder.post(f"/api/invitations/{token}/accept")

    assert response.status_code == 403
    assert response.json()["code"] == "invitation_email_mismatch"
    assert intruder.get(f"/api/subscriptions/{subscription_id}/admins").status_code == 404
    # Nothing changed: the invited colleague can still accept.
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}
    assert api.login(COLLEAGUE).post(f"/api/invitations/{token}/accept").status_code == 200


def test_the_invited_address_matches_whatever_its_case(api: ApiClient, services: Services) -> None:
    subscription = make_subscription(services, OWNER)
    owner = api.login(OWNER)
    created = owner.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": "  Colleague@CONTOSO.com ", "permissions": ["view"]},
    )
    assert created.status_code == 201
    assert created.json()["email"] == COLLEAGUE
    (token,) = invitation_tokens(api, services, COLLEAGUE)

    response = api.login("COLLEAGUE@contoso.COM").post(f"/api/invitations/{token}/accept")

    assert response.status_code == 200, response.text


def test_the_owner_cannot_accept_an_invitation_to_their_own_subscription(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    _, token, owner = invited
    response = owner.post(f"/api/invitations/{token}/accept")
    assert response.status_code == 403
    assert response.json()["code"] == "invitation_email_mismatch"


def test_accepting_needs_a_signed_in_portal_user(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    anonymous = api.fresh().post(f"/api/invitations/{token}/accept")
    assert anonymous.status_code == 401
    colleague = api.login(COLLEAGUE)
    foreign_origin = colleague.post(
        f"/api/invitations/{token}/accept", headers={"Origin": "https://evil.example"}
    )
    assert foreign_origin.status_code == 403
    assert foreign_origin.json()["code"] == "origin_mismatch"
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}


def tampered(token: str) -> list[str]:
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    return [
        flipped,
        token[:-1],
        token + "x",
        token.upper(),
        "x" * 43,
        "not-a-token",
        "a" * 5000,
        "%00" + token,
        "..%2F..%2Fhealth",
    ]


def test_tampered_malformed_and_oversized_links_are_unknown(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    colleague = api.login(COLLEAGUE)
    for bad in tampered(token):
        shown = api.get(f"/api/invitations/{bad}")
        accepted = colleague.post(f"/api/invitations/{bad}/accept")
        for response in (shown, accepted):
            assert response.status_code in (400, 404), (bad, response.status_code, response.text)
            assert response.headers["Content-Type"].startswith("application/problem+json")
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}


def test_pending_invitations_are_listed_for_the_invited_address_only(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    first = make_subscription(services, OWNER, name="Contoso")
    second = make_subscription(services, "boss@fabrikam.com", name="Fabrikam")
    for subscription in (first, second):
        owner = api.login(subscription.owner.email)
        response = owner.post(
            f"/api/subscriptions/{subscription.id}/admins",
            json={"email": COLLEAGUE, "permissions": ["billing", "view"]},
        )
        assert response.status_code == 201

    listed = pending_invitations_for(services, " Colleague@Contoso.com ")

    assert sorted(item.subscription_name for item in listed) == ["Contoso", "Fabrikam"]
    for item in listed:
        assert item.permissions == [Permission.VIEW.value, Permission.BILLING.value]
        assert item.token_id not in invitation_tokens(api, services, COLLEAGUE)
        dumped = item.model_dump(mode="json")
        assert {"token_id", "subscription_name", "invited_by", "permissions"} <= dumped.keys()
    assert pending_invitations_for(services, "someone@contoso.com") == []
    clock.advance(timedelta(days=15))
    assert pending_invitations_for(services, COLLEAGUE) == []


def test_an_invitation_is_resent_at_most_three_times_a_day(
    api: ApiClient, services: Services, clock: Clock, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, _, owner = invited
    admin_id = owner.get(f"/api/subscriptions/{subscription_id}/admins").json()["items"][0]["id"]
    resend = f"/api/subscriptions/{subscription_id}/admins/{admin_id}/resend"
    for _ in range(3):
        assert owner.post(resend).status_code == 202
    sent = len(invitation_tokens(api, services, COLLEAGUE))
    refused = owner.post(resend)
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "too_many_requests"
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= 24 * 3600
    assert len(invitation_tokens(api, services, COLLEAGUE)) == sent  # nothing more was mailed
    # The next day the link can be sent again.
    clock.advance(timedelta(seconds=retry_after))
    assert api.login(OWNER).post(resend).status_code == 202


@pytest.mark.parametrize("status", [Status.PENDING, Status.EXPIRED])
def test_a_subscription_that_is_not_active_invites_and_resends_nobody(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient], status: Status
) -> None:
    subscription_id, _, owner = invited
    admin_id = owner.get(f"/api/subscriptions/{subscription_id}/admins").json()["items"][0]["id"]
    change_record(services, subscription_id, status=status)
    sent = len(invitation_tokens(api, services, COLLEAGUE))
    invite = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        json={"email": "stranger@outside.example", "permissions": ["view"]},
    )
    assert (invite.status_code, invite.json()["code"]) == (409, "subscription_not_active")
    resend = owner.post(f"/api/subscriptions/{subscription_id}/admins/{admin_id}/resend")
    assert (resend.status_code, resend.json()["code"]) == (409, "subscription_not_active")
    assert len(invitation_tokens(api, services, COLLEAGUE)) == sent
    assert invitation_tokens(api, services, "stranger@outside.example") == []


def waiting_id(client: ApiClient) -> str:
    """The `token_id` of the one invitation `/api/me` lists for the client's user."""
    (waiting,) = client.get("/api/me").json()["invitations"]
    return str(waiting["token_id"])


def test_accepting_from_the_dashboard_by_id_binds_the_colleague_and_uses_the_link(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, _ = invited
    colleague = api.login(COLLEAGUE)
    token_id = waiting_id(colleague)

    response = colleague.post(f"/api/me/invitations/{token_id}/accept")

    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["id"], view["role"]) == (subscription_id, "administrator")
    assert view["permissions"] == ["view", "assign"]
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "active"}
    me = colleague.get("/api/me").json()
    assert me["invitations"] == []
    assert [s["id"] for s in me["subscriptions"]] == [subscription_id]
    # The emailed link is used now, and the id is no longer a pending invitation.
    for used in (
        api.get(f"/api/invitations/{token}"),
        colleague.post(f"/api/invitations/{token}/accept"),
    ):
        assert used.status_code == 410
        assert used.json()["code"] == "invitation_used"
    again = colleague.post(f"/api/me/invitations/{token_id}/accept")
    assert again.status_code == 404
    assert again.json()["code"] == "not_found"


def test_accepting_by_id_after_the_link_was_used_is_not_found(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    _, token, _ = invited
    colleague = api.login(COLLEAGUE)
    token_id = waiting_id(colleague)
    assert colleague.post(f"/api/invitations/{token}/accept").status_code == 200

    response = colleague.post(f"/api/me/invitations/{token_id}/accept")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_id_accepts_only_an_invitation_addressed_to_the_signed_in_user(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, token, owner = invited
    token_id = waiting_id(api.login(COLLEAGUE))

    for other in (api.login("intruder@contoso.com"), owner):
        response = other.post(f"/api/me/invitations/{token_id}/accept")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    colleague = api.login(COLLEAGUE)
    for bad in ("0" * len(token_id), token_id + "x", "a" * 5000, token, "%00" + token_id):
        response = colleague.post(f"/api/me/invitations/{bad}/accept")
        assert response.status_code in (400, 404), (bad, response.status_code, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
    assert api.fresh().post(f"/api/me/invitations/{token_id}/accept").status_code == 401
    foreign_origin = colleague.post(
        f"/api/me/invitations/{token_id}/accept", headers={"Origin": "https://evil.example"}
    )
    assert foreign_origin.status_code == 403
    assert foreign_origin.json()["code"] == "origin_mismatch"
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}
    assert colleague.post(f"/api/me/invitations/{token_id}/accept").status_code == 200


def test_an_id_pointing_at_another_address_invitation_is_refused_by_its_row(
    api: ApiClient, services: Services, invited: tuple[str, str, ApiClient]
) -> None:
    """A stray pointer under the intruder's address: the administrator row decides, as for
    the link, and the invitation stays the colleague's."""
    subscription_id, _, _ = invited
    token_id = waiting_id(api.login(COLLEAGUE))
    services.storage.table(DIRECTORY_TABLE).create_entity(
        {
            "PartitionKey": invite_email_key("intruder@contoso.com"),
            "RowKey": f"{subscription_id}|{token_id}",
        }
    )

    response = api.login("intruder@contoso.com").post(f"/api/me/invitations/{token_id}/accept")

    assert response.status_code == 403
    assert response.json()["code"] == "invitation_email_mismatch"
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}


def test_an_expired_invitation_cannot_be_accepted_by_id(
    api: ApiClient, services: Services, clock: Clock, invited: tuple[str, str, ApiClient]
) -> None:
    subscription_id, _, _ = invited
    token_id = waiting_id(api.login(COLLEAGUE))
    clock.advance(timedelta(days=14))

    response = api.login(COLLEAGUE).post(f"/api/me/invitations/{token_id}/accept")

    assert response.status_code == 410
    assert response.json()["code"] == "invitation_expired"
    assert admin_statuses(api, subscription_id) == {COLLEAGUE: "invited"}
