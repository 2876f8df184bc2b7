"""The invitation link: who invited you to what, accepting as the invitee in a second browser
(signing in first), the wrong account, and links that no longer work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import Clock
from tests.factories import make_subscription
from tests.portal.conftest import Portal
from tests.shared.admins.factories import invitation_tokens

OWNER = "owner@contoso.com"
COLLEAGUE = "colleague@contoso.com"


@pytest.fixture
def invitation(portal: Portal) -> tuple[str, str]:
    """COLLEAGUE invited to Contoso with Assign and View: (subscription id, token)."""
    subscription = make_subscription(portal.services, OWNER, name="Contoso", quantity=20)
    owner = portal.api.login(OWNER, "Olivia Owner")
    response = owner.post(
        f"/api/subscriptions/{subscription.id}/admins",
        json={"email": COLLEAGUE, "permissions": ["assign"]},
    )
    assert response.status_code == 201, response.text
    (token,) = invitation_tokens(portal.api, portal.services, COLLEAGUE)
    return subscription.id, token


def test_the_invitee_sees_the_invitation_signs_in_and_accepts(
    portal: Portal, invitation: tuple[str, str], check_accessibility, screenshot
) -> None:
    subscription_id, token = invitation
    page = portal.new_page()
    page.goto(f"/invitations/{token}")

    expect(page.get_by_role("heading", name="Join Contoso", level=1)).to_be_visible()
    expect(page.get_by_text(OWNER).first).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Assign/Unassign licenses")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="View subscription")).to_be_visible()
    expect(page.get_by_text("Manage billing")).to_have_count(0)
    check_accessibility(page)
    screenshot(page, "invitation")

    page.get_by_role("link", name="Accept invitation").click()
    page.wait_for_url("**/sign-in?next=*")
    page.get_by_label("Email").fill(COLLEAGUE)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"**/subscriptions/{subscription_id}**")
    expect(page.get_by_role("heading", name="Contoso", level=1)).to_be_visible()
    expect(page.get_by_text("Your role: Delegated administrator")).to_be_visible()
    expect(page.get_by_role("tab", name="Licenses")).to_be_visible()
    expect(page.get_by_role("tab", name="Billing")).to_have_count(0)
    expect(page.get_by_role("tab", name="API keys")).to_have_count(0)

    page.goto(f"/invitations/{token}")
    expect(page.get_by_role("heading", name="Invitation already used")).to_be_visible()


def test_the_wrong_account_is_told_so_and_can_switch(
    portal: Portal, invitation: tuple[str, str], check_accessibility, screenshot
) -> None:
    subscription_id, token = invitation
    owner_page = portal.signed_in_page(OWNER)
    owner_page.goto(f"/subscriptions/{subscription_id}?section=admins")
    page = portal.signed_in_page("someone.else@contoso.com")

    page.goto(f"/invitations/{token}")

    expect(
        page.get_by_text(
            f"You are signed in as someone.else@contoso.com; this invitation is for {COLLEAGUE}."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Accept invitation")).to_have_count(0)
    check_accessibility(page)
    screenshot(page, "invitation-wrong-account")

    page.get_by_role("button", name="Sign out and switch account").click()
    page.wait_for_url("**/sign-in?next=*")
    page.get_by_label("Email").fill(COLLEAGUE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/invitations/{token}")
    page.get_by_role("button", name="Accept invitation").click()
    page.wait_for_url(f"**/subscriptions/{subscription_id}**")
    expect(page.get_by_role("heading", name="Contoso", level=1)).to_be_visible()


def test_an_unknown_link_and_an_expired_one_say_what_happened(
    portal: Portal, invitation: tuple[str, str], clock: Clock, check_accessibility
) -> None:
    _, token = invitation
    page = portal.new_page()

    page.goto("/invitations/not-a-real-token")
    expect(page.get_by_role("heading", name="Invitation not found")).to_be_visible()
    check_accessibility(page, schemes=("light",))

    clock.advance(timedelta(days=15))
    page.goto(f"/invitations/{token}")
    expect(page.get_by_role("heading", name="Invitation expired")).to_be_visible()
    expect(page.get_by_text("Ask the subscription's owner to resend")).to_be_visible()


def test_the_invitee_accepts_from_the_dashboard_and_the_link_is_used_afterwards(
    portal: Portal, invitation: tuple[str, str], check_accessibility, screenshot
) -> None:
    _, token = invitation
    fabrikam = make_subscription(portal.services, "boss@fabrikam.com", name="Fabrikam")
    boss = portal.api.login("boss@fabrikam.com")
    response = boss.post(
        f"/api/subscriptions/{fabrikam.id}/admins",
        json={"email": COLLEAGUE, "permissions": ["billing"]},
    )
    assert response.status_code == 201, response.text
    page = portal.signed_in_page(COLLEAGUE, "Cole League")
    page.goto("/")

    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_text(f"{OWNER} invited you to administer Contoso")).to_be_visible()
    expect(
        pending.get_by_text("Permissions: View subscription, Assign/Unassign licenses")
    ).to_be_visible()
    expect(pending.get_by_role("button", name="Accept invitation")).to_have_count(2)
    check_accessibility(page)
    screenshot(page, "dashboard-invitations")

    pending.get_by_role("button", name="Accept invitation to Contoso").click()

    expect(page.locator(".fui-Toast").get_by_text("You now administer Contoso")).to_be_visible()
    table = page.get_by_role("table", name="Your subscriptions")
    expect(table.get_by_role("link", name="Contoso")).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="Contoso")).to_contain_text(
        "Delegated administrator"
    )
    # The other invitation still waits; the accepted one is gone.
    expect(pending.get_by_role("button", name="Accept invitation")).to_have_count(1)
    expect(pending.get_by_role("button", name="Accept invitation to Fabrikam")).to_be_visible()
    expect(page.locator(".fui-Toast")).to_have_count(0)
    check_accessibility(page)

    # The emailed link no longer works.
    page.goto(f"/invitations/{token}")
    expect(page.get_by_text("Invitation already used").first).to_be_visible()
    assert portal.api.get(f"/api/invitations/{token}").status_code == 410
