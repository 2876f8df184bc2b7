"""Help pages the guides link to, and the admin-consent link for a Microsoft 365 administrator."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.portal.conftest import Portal


def test_need_admin_approval_gives_the_consent_link_to_send(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.new_page()
    page.goto("/")
    page.wait_for_url("**/sign-in?next=*")
    page.get_by_role("link", name="Help").click()
    page.get_by_role("link", name="Need admin approval").first.click()
    page.wait_for_url("**/help/admin-approval")

    page.get_by_role("button", name="Get the link").click()
    expect(page.get_by_text("Enter your organization's domain or tenant ID.")).to_be_visible()

    page.get_by_label("Your organization's domain or tenant ID").fill("  it@Contoso.com ")
    page.get_by_role("button", name="Get the link").click()

    link = page.get_by_role("link", name=f"{portal.url}/api/admin-consent?tenant=contoso.com")
    expect(link).to_have_attribute("href", f"{portal.url}/api/admin-consent?tenant=contoso.com")
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "help-admin-approval")

    # The link is the API's redirect to Entra (503 here: the tests configure no add-in app).
    answer = page.context.request.get(link.get_attribute("href") or "", max_redirects=0)
    assert answer.status in (302, 503)
    assert not answer.headers["content-type"].startswith("text/html")


def test_every_help_topic_reads_well(portal: Portal, check_accessibility, screenshot) -> None:
    page = portal.new_page()
    page.goto("/help")
    check_accessibility(page)
    screenshot(page, "help")
    for slug, title in (
        ("installation-vs-licensing", "Installation vs. licensing"),
        ("shared-mailboxes", "Shared mailboxes"),
    ):
        page.goto(f"/help/{slug}")
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        check_accessibility(page)
        screenshot(page, f"help-{slug}")
