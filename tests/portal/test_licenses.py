"""The Licenses section of a subscription, as its owner and a view-only delegate use it: assign
by pasting addresses, the all-or-nothing refusal, search and filters, CSV import and export,
reassign, edit label, shared mailboxes, remove one or several, and a page of 1,000 licenses."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from shared.subscriptions.model import Permission
from tests.portal.conftest import Portal
from tests.shared.admins.factories import make_delegate, make_subscription

OWNER = "owner@contoso.com"


def open_licenses(portal: Portal, quantity: int = 5, email: str = OWNER) -> tuple[Page, str]:
    """The owner's page on the Licenses section of a new active subscription."""
    subscription = make_subscription(portal.services, OWNER, quantity=quantity, name="Contoso")
    page = portal.signed_in_page(email, "Owen Price")
    page.goto(f"/subscriptions/{subscription.id}?section=licenses")
    expect(page.get_by_role("heading", name="Licenses", exact=True, level=2)).to_be_visible()
    return page, subscription.id


def assign(page: Page, subscription_id: str, emails: list[str], label: str | None = None) -> None:
    """Set-up through the API with the page's own session."""
    response = page.context.request.post(
        f"/api/subscriptions/{subscription_id}/licenses",
        data={"emails": emails, "label": label},
        headers={"Origin": page.url.split("/subscriptions/")[0]},
    )
    assert response.status == 200, response.text()


def licensed(page: Page, subscription_id: str, **query: Any) -> list[dict[str, Any]]:
    response = page.context.request.get(
        f"/api/subscriptions/{subscription_id}/licenses", params={"limit": 1000, **query}
    )
    assert response.status == 200, response.text()
    return list(response.json()["items"])


def toast(page: Page, text: str):  # type: ignore[no-untyped-def]
    return page.locator(".fui-Toast").get_by_text(text, exact=True)


def row(page: Page, email: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("row").filter(has=page.get_by_text(email, exact=True))


def test_assign_by_pasting_an_outlook_list_after_every_address_is_usable(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page, subscription_id = open_licenses(portal, quantity=5)
    expect(page.get_by_text("No licenses assigned yet")).to_be_visible()

    page.get_by_role("button", name="Assign licenses", exact=True).click()
    dialog = page.get_by_role("dialog", name="Assign licenses")
    expect(dialog.get_by_text("5 of 5 licenses available")).to_be_visible()
    addresses = dialog.get_by_label("Email addresses")
    addresses.fill(
        'Ann Lee <ann@contoso.com>; "Lee, Bob" <Bob@Contoso.com>; Carl Diaz <carl@contoso>;\n'
        "ANN@contoso.com"
    )
    expect(dialog.get_by_text("2 licenses to assign (1 duplicate removed)")).to_be_visible()
    dialog.get_by_role("button", name="Assign", exact=True).click()

    # The bad address is named as it was pasted, and nothing is sent.
    expect(
        dialog.get_by_text("This entry is not a usable address; fix or remove it:")
    ).to_be_visible(timeout=5000)
    expect(dialog.get_by_text("Carl Diaz <carl@contoso>", exact=True)).to_be_visible()
    expect(dialog.get_by_text("has a domain without a period")).to_be_visible()
    check_accessibility(page)
    screenshot(page, "licenses-assign-invalid")
    assert licensed(page, subscription_id) == []

    addresses.fill(
        'Ann Lee <ann@contoso.com>; "Lee, Bob" <Bob@Contoso.com>; Carl Diaz <carl@contoso.com>;\n'
        "ANN@contoso.com"
    )
    dialog.get_by_label("Label (optional)").fill("Sales")
    expect(dialog.get_by_text("3 licenses to assign (1 duplicate removed)")).to_be_visible()
    dialog.get_by_role("button", name="Assign", exact=True).click()

    expect(toast(page, "3 licenses assigned; welcome emails sent")).to_be_visible()
    expect(dialog).to_be_hidden()
    for email in ("ann@contoso.com", "bob@contoso.com", "carl@contoso.com"):
        expect(row(page, email)).to_contain_text("Sales")
        expect(row(page, email)).to_contain_text("Never")
    expect(page.get_by_text("3 assigned · 2 of 5 licenses available")).to_be_visible()
    assert sorted(item["email"] for item in licensed(page, subscription_id)) == [
        "ann@contoso.com",
        "bob@contoso.com",
        "carl@contoso.com",
    ]

    # One new, one already there.
    page.get_by_role("button", name="Assign licenses", exact=True).click()
    dialog.get_by_label("Email addresses").fill("ann@contoso.com\ndan@contoso.com")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(toast(page, "1 license assigned; welcome email sent")).to_be_visible()
    expect(toast(page, "1 was already assigned")).to_be_visible()
    expect(row(page, "dan@contoso.com")).to_be_visible()
    # Toasts fade in and out: axe would measure their colours half-way.
    expect(page.locator(".fui-Toast")).to_have_count(0)
    check_accessibility(page)
    screenshot(page, "licenses-table")


def test_too_many_addresses_are_refused_whole_with_a_way_to_add_seats(portal: Portal) -> None:
    page, subscription_id = open_licenses(portal, quantity=3)
    assign(page, subscription_id, ["ann@contoso.com"])
    page.reload()

    page.get_by_role("button", name="Assign licenses", exact=True).click()
    dialog = page.get_by_role("dialog", name="Assign licenses")
    expect(dialog.get_by_text("2 of 3 licenses available")).to_be_visible()
    dialog.get_by_label("Email addresses").fill(
        "ann@contoso.com, bob@contoso.com, carl@contoso.com, dan@contoso.com, eve@contoso.com"
    )
    dialog.get_by_role("button", name="Assign", exact=True).click()

    expect(
        dialog.get_by_text(
            "You are assigning 4 licenses but only 2 are available: "
            "add 2 licenses or remove some addresses."
        )
    ).to_be_visible()
    assert [item["email"] for item in licensed(page, subscription_id)] == ["ann@contoso.com"]

    dialog.get_by_role("button", name="Add 2 licenses").click()
    page.wait_for_url(re.compile(r"section=settings&quantity=5"))
    expect(page.get_by_role("tab", name="Settings")).to_have_attribute("aria-selected", "true")


def test_search_and_filter_by_label_and_status(portal: Portal, check_accessibility) -> None:
    page, subscription_id = open_licenses(portal, quantity=10)
    assign(page, subscription_id, ["ann@contoso.com", "bob@contoso.com"], label="Client A")
    assign(page, subscription_id, ["bea@fabrikam.com", "carl@fabrikam.com"], label="Client B")
    assign(page, subscription_id, ["zoe@northwind.com"])
    page.reload()
    expect(page.get_by_role("row")).to_have_count(6)  # the header and five licenses

    search = page.get_by_role("searchbox", name="Search")
    search.fill("fabrikam")
    expect(page.get_by_role("row")).to_have_count(3)
    expect(row(page, "bea@fabrikam.com")).to_be_visible()
    search.fill("b")
    expect(page.get_by_role("row")).to_have_count(3)
    expect(row(page, "bob@contoso.com")).to_be_visible()
    expect(row(page, "bea@fabrikam.com")).to_be_visible()
    search.fill("")
    expect(page.get_by_role("row")).to_have_count(6)

    label = page.get_by_role("combobox", name="Label")
    label.press_sequentially("client")  # offers the labels seen so far that match
    expect(page.get_by_role("option")).to_have_count(2)
    page.get_by_role("option", name="Client A").click()
    expect(page.get_by_role("row")).to_have_count(3)
    expect(row(page, "ann@contoso.com")).to_be_visible()
    expect(row(page, "bob@contoso.com")).to_be_visible()

    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="Expired").click()
    expect(page.get_by_text("No licenses match")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_role("row")).to_have_count(6)

    # Sorted by a column, within the page: by label, descending puts Client B first.
    page.get_by_role("columnheader", name="Label").click()
    page.get_by_role("columnheader", name="Label").click()
    expect(page.get_by_role("columnheader", name="Label")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(page.get_by_role("row").nth(1)).to_contain_text("Client B")


def test_csv_import_names_the_bad_line_and_export_downloads_every_license(
    portal: Portal, tmp_path, check_accessibility, screenshot
) -> None:
    page, subscription_id = open_licenses(portal, quantity=10)
    bad = tmp_path / "bad.csv"
    bad.write_text("email,label\nann@contoso.com,Client A\nnot-an-address,Client A\n")
    good = tmp_path / "good.csv"
    good.write_text("email,label\nann@contoso.com,Client A\nBob@Contoso.com,\n")

    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import licenses from CSV")
    dialog.get_by_label("CSV file").set_input_files(str(bad))
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_text("Nothing was imported")).to_be_visible()
    expect(dialog.get_by_text(re.compile(r"^Line 3: "))).to_be_visible()
    check_accessibility(page)
    screenshot(page, "licenses-import-errors")
    assert licensed(page, subscription_id) == []

    dialog.get_by_label("CSV file").set_input_files(str(good))
    expect(dialog.get_by_text("Nothing was imported")).to_be_hidden()
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(toast(page, "2 licenses assigned; welcome emails sent")).to_be_visible()
    expect(row(page, "bob@contoso.com")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "licenses.csv"
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    # API.md's columns first (the service may add more after them).
    assert lines[0].startswith("email,label,status,assigned_at,last_seen_at")
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["ann@contoso.com", "Client A", "active"],
        ["bob@contoso.com", "", "active"],
    ]


def test_remove_one_remove_several_reassign_and_edit_label(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page, subscription_id = open_licenses(portal, quantity=10)
    emails = ["ann@contoso.com", "bob@contoso.com", "carl@contoso.com", "dan@contoso.com"]
    assign(page, subscription_id, emails, label="Sales")
    page.reload()

    page.get_by_role("button", name="More actions for ann@contoso.com").click()
    page.get_by_role("menuitem", name="Remove").click()
    confirm = page.get_by_role("alertdialog", name="Remove license?")
    expect(confirm).to_contain_text("ann@contoso.com loses the license at once")
    check_accessibility(page)
    confirm.get_by_role("button", name="Remove license").click()
    expect(toast(page, "License of ann@contoso.com removed")).to_be_visible()
    expect(row(page, "ann@contoso.com")).to_have_count(0)

    page.get_by_role("checkbox", name="Select bob@contoso.com").check()
    page.get_by_role("checkbox", name="Select carl@contoso.com").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.get_by_role("button", name="Remove", exact=True).click()
    confirm = page.get_by_role("alertdialog", name="Remove 2 licenses?")
    confirm.get_by_role("button", name="Remove 2 licenses").click()
    expect(toast(page, "2 licenses removed")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(2)
    assert [item["email"] for item in licensed(page, subscription_id)] == ["dan@contoso.com"]

    page.get_by_role("button", name="More actions for dan@contoso.com").click()
    page.get_by_role("menuitem", name="Reassign").click()
    reassign = page.get_by_role("dialog", name="Reassign license")
    field = reassign.get_by_label("New email address")
    field.fill("erin@contoso")
    reassign.get_by_role("button", name="Reassign").click()
    expect(reassign.get_by_text("This address has a domain without a period.")).to_be_visible()
    check_accessibility(page)
    field.fill("Erin@Contoso.com")
    reassign.get_by_role("button", name="Reassign").click()
    reassigned = "License reassigned to erin@contoso.com; welcome email sent"
    expect(toast(page, reassigned)).to_be_visible()
    expect(row(page, "erin@contoso.com")).to_contain_text("Sales")
    expect(row(page, "dan@contoso.com")).to_have_count(0)

    page.get_by_role("button", name="More actions for erin@contoso.com").click()
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    edit = page.get_by_role("dialog", name="Edit license")
    expect(edit.get_by_label("Label")).to_have_value("Sales")
    edit.get_by_label("Label").fill("Marketing")
    edit.get_by_role("button", name="Save").click()
    expect(row(page, "erin@contoso.com")).to_contain_text("Marketing")
    (item,) = licensed(page, subscription_id)
    assert (item["email"], item["label"]) == ("erin@contoso.com", "Marketing")
    screenshot(page, "licenses-after-changes")


def test_shared_mailbox_marked_on_assign_shown_in_the_row_and_unmarked_by_edit(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page, subscription_id = open_licenses(portal, quantity=5)
    page.get_by_role("button", name="Assign licenses", exact=True).click()
    dialog = page.get_by_role("dialog", name="Assign licenses")
    dialog.get_by_label("Email addresses").fill("sales@contoso.com")
    shared = dialog.get_by_role("checkbox", name="Shared mailbox")
    expect(shared).not_to_be_checked()
    expect(shared).to_have_accessible_description(
        "For a shared mailbox: people who can open it use the add-in without a license of their own"
    )
    shared.check()
    check_accessibility(page)
    screenshot(page, "licenses-assign-shared-mailbox")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(toast(page, "1 license assigned; welcome email sent")).to_be_visible()
    expect(row(page, "sales@contoso.com").get_by_text("Shared mailbox", exact=True)).to_be_visible()
    (item,) = licensed(page, subscription_id)
    assert (item["email"], item["shared_mailbox"]) == ("sales@contoso.com", True)

    # A person's license carries no badge.
    assign(page, subscription_id, ["ann@contoso.com"])
    page.reload()
    expect(row(page, "ann@contoso.com")).to_be_visible()
    expect(row(page, "ann@contoso.com").get_by_text("Shared mailbox", exact=True)).to_have_count(0)
    screenshot(page, "licenses-shared-mailbox")

    page.get_by_role("button", name="More actions for sales@contoso.com").click()
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    edit = page.get_by_role("dialog", name="Edit license")
    box = edit.get_by_role("checkbox", name="Shared mailbox")
    expect(box).to_be_checked()
    box.uncheck()
    edit.get_by_role("button", name="Save").click()
    expect(toast(page, "License of sales@contoso.com saved")).to_be_visible()
    expect(row(page, "sales@contoso.com").get_by_text("Shared mailbox", exact=True)).to_have_count(
        0
    )
    shared_marks = {
        item["email"]: item["shared_mailbox"] for item in licensed(page, subscription_id)
    }
    assert shared_marks == {"ann@contoso.com": False, "sales@contoso.com": False}
    expect(page.locator(".fui-Toast")).to_have_count(0)
    check_accessibility(page)


def test_a_delegate_with_only_view_sees_the_licenses_but_cannot_assign(
    portal: Portal, check_accessibility
) -> None:
    subscription = make_subscription(portal.services, OWNER, quantity=5, name="Contoso")
    owner = portal.signed_in_page(OWNER)
    owner.goto(f"/subscriptions/{subscription.id}")
    assign(owner, subscription.id, ["ann@contoso.com"])
    make_delegate(portal.services, subscription, "viewer@contoso.com", {Permission.VIEW})

    page = portal.signed_in_page("viewer@contoso.com")
    page.goto(f"/subscriptions/{subscription.id}?section=licenses")
    expect(row(page, "ann@contoso.com")).to_be_visible()
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    expect(page.get_by_role("button", name="Assign licenses")).to_have_count(0)
    expect(page.get_by_role("button", name="Import CSV")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^More actions"))).to_have_count(0)
    check_accessibility(page)


def test_a_page_of_1000_licenses(portal: Portal, check_accessibility, screenshot) -> None:
    page, subscription_id = open_licenses(portal, quantity=1000)
    assign(page, subscription_id, [f"user{n:04d}@contoso.com" for n in range(1000)], "Bulk")

    page.goto(f"/subscriptions/{subscription_id}?section=licenses")
    expect(page.get_by_role("row")).to_have_count(101)
    for scheme in ("light", "dark"):
        # A hundred rows restyle slowly on a busy machine: let the theme's colour transitions
        # end before axe measures contrast.
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(1500)
        check_accessibility(page, schemes=(scheme,))
    page.get_by_role("combobox", name="Per page").click()
    started = page.evaluate("() => performance.now()")
    page.get_by_role("option", name="1000").click()
    # Measured in the page: the first rows of the new page (the request included), then all.
    page.wait_for_function(
        "() => document.querySelector('table[aria-busy=false] tbody tr td') !== null"
        " && document.querySelectorAll('tbody tr').length >= 100",
        polling=10,
    )
    first_rows = page.evaluate("() => performance.now()") - started
    page.wait_for_function(
        "() => document.querySelectorAll('tbody tr').length === 1000", polling=10
    )
    every_row = page.evaluate("() => performance.now()") - started
    print(
        f"\nlicenses: a page of 1,000 shows its first rows {first_rows:.0f} ms after choosing it, "
        f"all 1,000 rows after {every_row:.0f} ms"
    )
    expect(row(page, "user0999@contoso.com")).to_be_visible()
    expect(page.get_by_role("button", name="Next")).to_be_disabled()

    page.get_by_role("combobox", name="Per page").click()
    page.get_by_role("option", name="250").click()
    expect(page.get_by_role("row")).to_have_count(251)
    page.get_by_role("button", name="Next").click()
    expect(row(page, "user0250@contoso.com")).to_be_visible()
    expect(page.get_by_text("Page 2 · 251–500")).to_be_visible()
    page.get_by_role("button", name="Previous").click()
    expect(row(page, "user0000@contoso.com")).to_be_visible()
    screenshot(page, "licenses-250")
