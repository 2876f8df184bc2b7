"""The portal's frame on every page: header, skip link, main landmark, sign-in state."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.portal.conftest import Portal


def test_a_signed_out_visitor_sees_the_product_and_a_sign_in_link(portal: Portal) -> None:
    page = portal.new_page()
    page.goto("/help")

    expect(page.get_by_role("link", name="SecureMailMerge Licensing")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()


def test_a_signed_in_user_sees_who_and_can_sign_out(portal: Portal) -> None:
    page = portal.signed_in_page("ann@contoso.com", "Ann Lee")
    page.goto("/help")

    header = page.get_by_role("banner")
    expect(header.get_by_text("Ann Lee")).to_be_visible()
    expect(header.get_by_text("ann@contoso.com")).to_be_visible()
    header.get_by_role("button", name="Sign out").click()

    page.wait_for_url("**/sign-in")
    assert page.context.request.get("/api/me").status == 401
    page.goto("/help")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
