"""GET /api/me: the signed-in user, what they reach and the invitations waiting for them."""

from __future__ import annotations

from shared.services import Services
from tests.api_client import ApiClient
from tests.factories import make_subscription


def test_me_lists_owned_subscriptions_and_pending_invitations(
    api: ApiClient, services: Services
) -> None:
    subscription = make_subscription(services, "owner@contoso.com", name="Contoso")
    owner = api.login("owner@contoso.com")
    invited = owner.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": "bob@fabrikam.com", "permissions": ["assign"]},
    )
    assert invited.status_code == 201, invited.text

    mine = owner.get("/api/me").json()
    assert [item["id"] for item in mine["subscriptions"]] == [subscription.id]
    assert mine["subscriptions"][0]["role"] == "owner"
    assert mine["invitations"] == []

    bob = api.login("bob@fabrikam.com").get("/api/me").json()
    assert bob["subscriptions"] == []
    assert [item["subscription_name"] for item in bob["invitations"]] == ["Contoso"]
    assert "assign" in bob["invitations"][0]["permissions"]
