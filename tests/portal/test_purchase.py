"""Buying: the price with its volume tiers before buying, the local checkout, the new
subscription turning active, and a signed-out visitor who keeps what they chose."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.portal.conftest import Portal


def setup_step(page: Page, name: str) -> Locator:
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=name))


def test_buy_through_the_local_checkout_and_land_on_the_new_subscription(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.signed_in_page("it@contoso.com", "Ida Tran")
    page.goto("/")
    expect(page.get_by_text("You have no subscriptions yet")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "dashboard-empty")
    page.get_by_role("main").get_by_role("link", name="Purchase").last.click()

    page.wait_for_url("**/purchase")
    expect(page.get_by_role("cell", name="1–9 licenses")).to_be_visible()
    expect(page.get_by_role("cell", name="10 or more licenses")).to_be_visible()
    quantity = page.get_by_label("Number of licenses")
    quantity.fill("12")
    expect(page.get_by_text(re.compile(r"12 × €4\.00 per license"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"€48\.00 per month"))).to_be_visible()
    quantity.fill("0")
    expect(page.get_by_text("Buy at least 1 license.")).to_be_visible()
    quantity.fill("12")
    page.get_by_label("Subscription name").fill("Contoso Ltd")
    check_accessibility(page)
    screenshot(page, "purchase")

    page.get_by_role("button", name="Purchase").click()
    page.wait_for_url("**/api/dev/checkout/**")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()

    page.wait_for_url("**/subscriptions/*")
    expect(page.get_by_role("heading", name="Contoso Ltd", level=1)).to_be_visible()
    expect(page.get_by_text("Active", exact=True)).to_be_visible()
    expect(page.get_by_text("0 of 12 licenses assigned")).to_be_visible()
    expect(page.get_by_role("heading", name="Finish setting up")).to_be_visible()
    # Bought with a name of its own: nothing left to name.
    expect(setup_step(page, "Name it").get_by_label("Done")).to_be_visible()
    expect(page.get_by_role("tab", name="Licenses")).to_be_visible()
    expect(page.get_by_role("tab", name="Billing")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "subscription-new")

    page.get_by_role("link", name="Add delegated administrators").click()
    expect(page.get_by_role("tab", name="Administrators")).to_have_attribute(
        "aria-selected", "true"
    )


def test_a_pending_subscription_says_so_and_turns_active_by_itself(
    portal: Portal, screenshot
) -> None:
    page = portal.signed_in_page("it@contoso.com")
    checkout = page.context.request.post(
        f"{portal.url}/api/checkout",
        data={"quantity": 3, "name": "Fabrikam"},
        headers={"Origin": portal.url},
    )
    assert checkout.status == 201, checkout.text()
    subscription_id = checkout.json()["subscription_id"]
    session_url = checkout.json()["url"]

    page.goto(f"/subscriptions/{subscription_id}")
    expect(page.get_by_text("Payment is being confirmed")).to_be_visible()
    expect(page.get_by_text("Pending", exact=True)).to_be_visible()
    screenshot(page, "subscription-pending")

    paid = page.context.request.post(
        f"{session_url}/complete", headers={"Origin": portal.url}, max_redirects=0
    )
    assert paid.status == 303, paid.text()

    expect(page.get_by_text("Active", exact=True)).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Payment is being confirmed")).to_have_count(0)


def test_a_signed_out_visitor_signs_in_and_keeps_quantity_and_name(
    portal: Portal, check_accessibility
) -> None:
    page = portal.new_page()
    page.goto("/purchase")
    page.get_by_label("Number of licenses").fill("25")
    page.get_by_label("Subscription name").fill("Northwind")
    check_accessibility(page)

    page.get_by_role("button", name="Purchase").click()

    page.wait_for_url("**/sign-in?next=*")
    page.get_by_label("Email").fill("reseller@northwind.com")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/purchase?quantity=25&name=Northwind")
    expect(page.get_by_label("Number of licenses")).to_have_value("25")
    expect(page.get_by_label("Subscription name")).to_have_value("Northwind")
    expect(page.get_by_text(re.compile(r"€100\.00 per month"))).to_be_visible()


def test_a_canceled_checkout_says_nothing_was_charged(portal: Portal) -> None:
    page = portal.signed_in_page("it@contoso.com")
    page.goto("/purchase?quantity=2")
    page.get_by_role("button", name="Purchase").click()
    page.wait_for_url("**/api/dev/checkout/**")
    page.get_by_role("button", name="Cancel").click()

    page.wait_for_url("**/purchase?canceled=1")
    expect(page.get_by_text("Checkout canceled; nothing was charged")).to_be_visible()


def test_the_setup_list_ticks_the_name_once_renamed_and_every_section_fits_390_px(
    portal: Portal, check_accessibility
) -> None:
    page = portal.signed_in_page("it@contoso.com", "Ida Tran")
    page.set_viewport_size({"width": 390, "height": 844})
    # Bought without a name: the checkout names it after the owner's domain.
    portal.buy(page, quantity=5)
    expect(page.get_by_role("heading", name="contoso.com", level=1)).to_be_visible()
    name_step = setup_step(page, "Name it")
    expect(name_step).to_be_visible()
    expect(name_step.get_by_label("Done")).to_have_count(0)
    expect(setup_step(page, "Assign licenses").get_by_label("Done")).to_have_count(0)

    # Every section's tab is on screen without scrolling sideways.
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(6)
    for index in range(6):
        box = tabs.nth(index).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, tabs.nth(index).inner_text()
    page.get_by_role("tab", name="Activity").click()
    expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")
    check_accessibility(page)

    name_step.get_by_role("link", name="Name it").click()
    page.get_by_label("Subscription name").fill("Fabrikam")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("heading", name="Fabrikam", level=1)).to_be_visible()
    expect(name_step.get_by_label("Done")).to_be_visible()
