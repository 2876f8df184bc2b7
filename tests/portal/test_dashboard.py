"""The dashboard: every subscription the user owns or administers, searchable by name."""

from __future__ import annotations

from playwright.sync_api import expect

from shared.subscriptions.model import Status
from tests.factories import change_record, make_subscription
from tests.portal.conftest import Portal

OWNER = "reseller@northwind.com"


def test_two_hundred_subscriptions_listed_and_searched_by_name(
    portal: Portal, check_accessibility, screenshot
) -> None:
    for number in range(200):
        make_subscription(portal.services, OWNER, quantity=5, name=f"Client {number:03d}")
    past_due = make_subscription(portal.services, OWNER, quantity=25, name="Fabrikam")
    change_record(portal.services, past_due.id, status=Status.PAST_DUE)
    page = portal.signed_in_page(OWNER, "Rita Reseller")

    page.goto("/")
    table = page.get_by_role("table", name="Your subscriptions")
    # The header and 201 subscriptions; generous: the full suite shares two cores with it.
    expect(table.get_by_role("row")).to_have_count(202, timeout=45_000)
    expect(
        page.get_by_text("201 subscriptions · 0 of 1,025 licenses assigned", exact=True)
    ).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    # The Purchase button is centred on the title's line, as in the Microsoft 365 admin center.
    title = page.get_by_role("heading", name="Your subscriptions", level=1).bounding_box()
    purchase = page.get_by_role("main").get_by_role("link", name="Purchase").bounding_box()
    assert title is not None and purchase is not None
    centre = title["y"] + title["height"] / 2
    assert abs(purchase["y"] + purchase["height"] / 2 - centre) <= 2, (title, purchase)

    page.get_by_role("searchbox", name="Search subscriptions by name").fill("fabri")
    expect(table.get_by_role("row")).to_have_count(2)
    row = table.get_by_role("row").nth(1)
    expect(row).to_contain_text("Past due")
    expect(row).to_contain_text("0 of 25")
    expect(row).to_contain_text("Owner")
    expect(page.get_by_text("1 of 201 subscriptions")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "dashboard")

    row.get_by_role("link", name="Fabrikam").click()
    page.wait_for_url(f"**/subscriptions/{past_due.id}")
    expect(page.get_by_role("heading", name="Fabrikam", level=1)).to_be_visible()
    expect(page.get_by_text("Payment failed", exact=True)).to_be_visible()

    page.go_back()
    page.get_by_role("searchbox", name="Search subscriptions by name").fill("nothing like it")
    expect(page.get_by_text("No subscription matches")).to_be_visible()
