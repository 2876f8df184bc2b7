"""Moving licenses to another of the owner's subscriptions from the Licenses section: every
license of the filtered label, the target's refusal for lack of seats, and by selection."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import make_subscription
from tests.portal.conftest import Portal
from tests.portal.test_licenses import assign, licensed, row, toast

OWNER = "owner@contoso.com"
SALES = ["ann@contoso.com", "bob@contoso.com", "carl@contoso.com"]


def filter_by_label(page: Page, label: str) -> None:
    combobox = page.get_by_role("combobox", name="Label")
    combobox.press_sequentially(label)
    page.get_by_role("option", name=label).click()


def test_owner_moves_every_labelled_license_to_another_subscription(
    portal: Portal, check_accessibility, screenshot
) -> None:
    source = make_subscription(portal.services, OWNER, quantity=5, name="Contoso")
    small = make_subscription(portal.services, OWNER, quantity=2, name="Contoso Small")
    target = make_subscription(portal.services, OWNER, quantity=10, name="Contoso Europe")
    page = portal.signed_in_page(OWNER, "Owen Price")
    page.goto(f"/subscriptions/{source.id}?section=licenses")
    assign(page, source.id, SALES, label="Sales")
    assign(page, source.id, ["zoe@contoso.com"])
    page.reload()
    expect(page.get_by_role("row")).to_have_count(5)  # the header and four licenses

    filter_by_label(page, "Sales")
    expect(page.get_by_role("row")).to_have_count(4)
    page.get_by_role("button", name="Move all labelled “Sales” to another subscription").click()
    dialog = page.get_by_role(
        "dialog", name="Move all licenses labelled “Sales” to another subscription"
    )
    expect(
        dialog.get_by_text(
            "Each user keeps a working license throughout; no welcome email is sent."
        )
    ).to_be_visible()
    dialog.get_by_role("combobox", name="Move to").click()
    options = page.get_by_role("option")
    # The other subscriptions only, with their free seats.
    expect(options).to_have_count(2)
    expect(page.get_by_role("option", name="Contoso Europe · 10 free")).to_be_visible()
    page.get_by_role("option", name="Contoso Small · 2 free").click()
    dialog.get_by_role("button", name="Move", exact=True).click()

    # All or nothing: the target is one seat short, and says so.
    expect(
        dialog.get_by_text(
            "You are moving 3 licenses but Contoso Small has only 2 free: it needs 1 more seat."
            " Nothing was moved."
        )
    ).to_be_visible()
    check_accessibility(page)
    screenshot(page, "licenses-move-not-enough-seats")
    assert len(licensed(page, source.id, label="Sales")) == 3
    assert licensed(page, small.id) == []

    dialog.get_by_role("combobox", name="Move to").click()
    page.get_by_role("option", name="Contoso Europe · 10 free").click()
    expect(dialog.get_by_text("it needs 1 more seat", exact=False)).to_be_hidden()
    check_accessibility(page)
    screenshot(page, "licenses-move-dialog")
    dialog.get_by_role("button", name="Move", exact=True).click()

    expect(toast(page, "3 licenses moved to Contoso Europe")).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("No licenses match")).to_be_visible()
    expect(page.get_by_text("1 assigned · 4 of 5 licenses available")).to_be_visible()
    moved = licensed(page, target.id)
    assert sorted(item["email"] for item in moved) == SALES
    assert {item["label"] for item in moved} == {"Sales"}
    assert [item["email"] for item in licensed(page, source.id)] == ["zoe@contoso.com"]
    expect(page.locator(".fui-Toast")).to_have_count(0)
    check_accessibility(page)


def test_selected_licenses_move_and_the_ones_already_gone_are_named(portal: Portal) -> None:
    source = make_subscription(portal.services, OWNER, quantity=5, name="Contoso")
    target = make_subscription(portal.services, OWNER, quantity=5, name="Contoso Europe")
    page = portal.signed_in_page(OWNER, "Owen Price")
    page.goto(f"/subscriptions/{source.id}?section=licenses")
    assign(page, source.id, SALES)
    page.reload()
    for email in SALES[:2]:
        row(page, email).get_by_role("checkbox").check()
    # Removed elsewhere after the page loaded: not there to move.
    response = page.context.request.delete(
        f"/api/subscriptions/{source.id}/licenses/{SALES[1]}",
        headers={"Origin": portal.url},
    )
    assert response.status == 204, response.text()

    page.get_by_role("button", name="Move to another subscription").click()
    dialog = page.get_by_role("dialog", name="Move 2 licenses to another subscription")
    dialog.get_by_role("combobox", name="Move to").click()
    page.get_by_role("option", name="Contoso Europe · 5 free").click()
    dialog.get_by_role("button", name="Move", exact=True).click()

    expect(toast(page, "1 license moved to Contoso Europe")).to_be_visible()
    expect(toast(page, "1 was not assigned here")).to_be_visible()
    assert [item["email"] for item in licensed(page, target.id)] == [SALES[0]]
    expect(row(page, SALES[0])).to_be_hidden()
    expect(row(page, SALES[2])).to_be_visible()
