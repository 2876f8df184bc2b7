"""Signing in: local mode's sign-in by email, and pages that need a user sending there first."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.portal.conftest import Portal


def test_a_page_that_needs_a_user_signs_in_locally_and_comes_back(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.new_page()
    page.goto("/subscriptions/some-id?section=billing")

    page.wait_for_url("**/sign-in?next=*")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    check_accessibility(page)
    screenshot(page, "sign-in")

    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Enter an email address such as ann@contoso.com.")).to_be_visible()

    page.get_by_label("Email").fill("Ann@Contoso.com")
    page.get_by_label("Name").fill("Ann Lee")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/subscriptions/some-id?section=billing")
    expect(page.get_by_role("heading", name="Subscription not found")).to_be_visible()
    expect(page.get_by_role("banner").get_by_text("ann@contoso.com")).to_be_visible()


def test_sign_in_never_returns_to_another_site(portal: Portal) -> None:
    page = portal.new_page()
    page.goto("/sign-in?next=//evil.example/steal")

    page.get_by_label("Email").fill("ann@contoso.com")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{portal.url}/")
    expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()


def test_microsoft_sign_in_is_offered_only_when_configured(portal: Portal) -> None:
    config = portal.api.get("/api/portal-config").json()
    page = portal.new_page()
    page.goto("/sign-in?next=/purchase")

    microsoft = page.get_by_role("link", name="Sign in with Microsoft")
    if "microsoft" in config["sign_in"]:
        expect(microsoft).to_have_attribute("href", "/api/auth/login?next=%2Fpurchase")
    else:
        expect(microsoft).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
