"""The subscription's administration in the browser: Settings (rename, the number of licenses
priced before it changes, never below the assigned count), Administrators (invite, accept as the
invitee, what a delegate sees, resend, change permissions, leave), API keys (shown once, revoked),
Billing (invoices, the billing portal) and Activity (the changes, paged)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.conftest import Clock
from tests.portal.conftest import Portal
from tests.shared.admins.factories import invitation_tokens

OWNER = "it@contoso.com"
DELEGATE = "ann@contoso.com"
PRICE = re.compile(r"Charged now \(pro rata\): €([\d,]+\.\d\d); new monthly total: €([\d,]+\.\d\d)")


def cents(euros: str) -> int:
    return int(Decimal(euros.replace(",", "")) * 100)


def tick(portal: Portal) -> None:
    """Move the service's clock on a second, so the activity log orders changes as they came."""
    clock = portal.services.clock
    assert isinstance(clock, Clock)
    clock.advance(timedelta(seconds=1))


def open_section(page: Page, subscription_id: str, section: str, **query: object) -> None:
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    page.goto(f"/subscriptions/{subscription_id}?section={section}{extra}")
    expect(page.get_by_role("tabpanel")).to_be_visible()


def test_owner_renames_and_changes_the_quantity_after_seeing_the_price(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.signed_in_page(OWNER, "Ida Tran")
    subscription_id = portal.buy(page, quantity=5, name="Contoso")
    owner = portal.api.login(OWNER)
    open_section(page, subscription_id, "settings")

    name = page.get_by_label("Subscription name")
    expect(name).to_have_value("Contoso")
    name.fill("   ")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Enter a name.")).to_be_visible()
    name.fill("Contoso Ltd")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("heading", name="Contoso Ltd", level=1)).to_be_visible()
    assert owner.get(f"/api/subscriptions/{subscription_id}").json()["name"] == "Contoso Ltd"
    tick(portal)

    quantity = page.get_by_label("New number of licenses")
    expect(quantity).to_have_value("5")
    expect(page.get_by_role("button", name="See price")).to_be_disabled()
    quantity.fill("12")
    page.get_by_role("button", name="See price").click()
    shown = page.get_by_text(PRICE)
    expect(shown).to_be_visible()
    match = PRICE.search(shown.inner_text())
    assert match is not None
    charged_now, monthly = cents(match.group(1)), cents(match.group(2))
    assert monthly == 12 * 400  # ten or more licenses cost €4.00 each
    assert 0 < charged_now <= monthly
    check_accessibility(page)
    screenshot(page, "subscription-settings")
    # Nothing is charged by looking at the price.
    assert owner.get(f"/api/subscriptions/{subscription_id}").json()["quantity"] == 5

    page.get_by_role("button", name="Change to 12 licenses").click()
    dialog = page.get_by_role("alertdialog", name="Change to 12 licenses?")
    expect(dialog).to_contain_text(f"€{match.group(1)} now (pro rata)")
    check_accessibility(page)
    dialog.get_by_role("button", name="Confirm change").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("0 of 12 licenses assigned")).to_be_visible()

    assert owner.get(f"/api/subscriptions/{subscription_id}").json()["quantity"] == 12
    invoices = owner.get(f"/api/subscriptions/{subscription_id}/invoices").json()["items"]
    # The purchase's invoice (5 × €5.00), then the change's, charged exactly as shown.
    assert sorted(invoice["amount_due"] for invoice in invoices) == sorted([2500, charged_now])

    page.get_by_role("tab", name="Activity").click()
    log = page.get_by_role("table", name="Activity log")
    expect(log.get_by_role("row").nth(1)).to_contain_text("Changed number of licenses")
    expect(log).to_contain_text("Renamed subscription")
    expect(log).to_contain_text(OWNER)
    check_accessibility(page)
    screenshot(page, "subscription-activity")


def test_the_quantity_never_goes_below_the_assigned_licenses(portal: Portal) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5)
    owner = portal.api.login(OWNER)
    emails = [f"user{n}@contoso.com" for n in range(3)]
    assigned = owner.post(f"/api/subscriptions/{subscription_id}/licenses", json={"emails": emails})
    assert assigned.status_code == 200, assigned.text

    # Checked in the browser before anything is asked.
    open_section(page, subscription_id, "settings")
    page.get_by_label("New number of licenses").fill("2")
    expect(page.get_by_text("3 licenses are assigned; remove licenses first.")).to_be_visible()
    page.get_by_role("button", name="See price").click()
    expect(page.get_by_text(PRICE)).to_have_count(0)

    # A page that has not seen the newest assignments hears it from the server's 409.
    more = owner.post(
        f"/api/subscriptions/{subscription_id}/licenses",
        json={"emails": ["user3@contoso.com", "user4@contoso.com"]},
    )
    assert more.status_code == 200, more.text
    page.get_by_label("New number of licenses").fill("4")
    page.get_by_role("button", name="See price").click()
    expect(page.get_by_text("5 licenses are assigned; remove licenses first.")).to_be_visible()
    assert owner.get(f"/api/subscriptions/{subscription_id}").json()["quantity"] == 5

    # The Licenses section's "add licenses" arrives with the number it needs.
    open_section(page, subscription_id, "settings", quantity=9)
    field = page.get_by_label("New number of licenses")
    expect(field).to_have_value("9")
    expect(field).to_be_focused()


def test_delegated_administrator_is_invited_accepts_and_sees_only_what_it_may(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.signed_in_page(OWNER, "Ida Tran")
    subscription_id = portal.buy(page, quantity=5, name="Contoso")
    open_section(page, subscription_id, "admins")
    expect(page.get_by_text("No delegated administrators yet")).to_be_visible()

    page.get_by_role("button", name="Add delegated administrator").click()
    dialog = page.get_by_role("dialog", name="Add delegated administrator")
    expect(dialog.get_by_role("checkbox", name="View subscription")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="View subscription")).to_be_disabled()
    expect(dialog.get_by_role("checkbox", name="Assign/Unassign licenses")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Manage quantity")).not_to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Manage billing")).not_to_be_checked()
    dialog.get_by_label("Email address").fill("not an address")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(dialog.get_by_text("not an address is not an email address.")).to_be_visible()
    dialog.get_by_label("Email address").fill(DELEGATE.upper())
    check_accessibility(page)
    screenshot(page, "subscription-admins-invite")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(dialog).to_be_hidden()

    row = page.get_by_role("row", name=re.compile(DELEGATE))
    expect(row).to_contain_text("Invited")
    expect(row).to_contain_text("Assign/Unassign licenses, View subscription")
    (first,) = invitation_tokens(portal.api, portal.services, DELEGATE)

    # Emails are rate-limited: a refused resend says when to try again.
    page.route(
        "**/resend",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "40", "Content-Type": "application/problem+json"},
            body='{"title": "Too many requests", "status": 429, "code": "too_many_requests"}',
        ),
    )
    row.get_by_role("button", name=f"Actions for {DELEGATE}").click()
    page.get_by_role("menuitem", name="Resend invitation").click()
    expect(page.get_by_text(re.compile(r"Try again after \d+ seconds\."))).to_be_visible()
    page.unroute("**/resend")
    row.get_by_role("button", name=f"Actions for {DELEGATE}").click()
    page.get_by_role("menuitem", name="Resend invitation").click()
    expect(page.get_by_text(f"Invitation sent again to {DELEGATE}").last).to_be_visible()
    expect(page.get_by_text(re.compile(r"Try again after"))).to_have_count(0)
    (resent,) = set(invitation_tokens(portal.api, portal.services, DELEGATE)) - {first}

    delegate = portal.signed_in_page(DELEGATE, "Ann Lee")
    delegate.goto(f"/invitations/{resent}")
    delegate.get_by_role("button", name="Accept invitation").click()
    delegate.wait_for_url(f"**/subscriptions/{subscription_id}**")
    tabs = delegate.get_by_role("tablist", name="Subscription sections")
    expect(tabs.get_by_role("tab", name="Licenses")).to_be_visible()
    expect(tabs.get_by_role("tab", name="Administrators")).to_be_visible()
    expect(tabs.get_by_role("tab", name="Activity")).to_be_visible()
    for hidden in ("Billing", "API keys", "Settings"):
        expect(tabs.get_by_role("tab", name=hidden)).to_have_count(0)

    open_section(delegate, subscription_id, "admins")
    expect(delegate.get_by_role("button", name="Add delegated administrator")).to_have_count(0)
    expect(delegate.get_by_role("row", name=re.compile(DELEGATE))).to_contain_text("Active")
    expect(delegate.get_by_role("button", name="Leave this subscription")).to_be_visible()
    check_accessibility(delegate)
    screenshot(delegate, "subscription-admins-delegate")

    # The owner grants "Manage quantity": the delegate gets Settings, without the owner's parts.
    page.reload()
    row = page.get_by_role("row", name=re.compile(DELEGATE))
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name=f"Actions for {DELEGATE}").click()
    page.get_by_role("menuitem", name="Change permissions").click()
    change = page.get_by_role("dialog", name="Change permissions")
    change.get_by_role("checkbox", name="Manage quantity").check()
    change.get_by_role("button", name="Save permissions").click()
    expect(row).to_contain_text("Manage quantity")
    check_accessibility(page)
    screenshot(page, "subscription-admins")

    open_section(delegate, subscription_id, "settings")
    expect(delegate.get_by_label("New number of licenses")).to_be_visible()
    expect(delegate.get_by_label("Subscription name")).to_have_count(0)
    expect(delegate.get_by_role("heading", name="Transfer ownership")).to_have_count(0)

    # Owners transfer only to an active administrator, and stay one themselves.
    open_section(page, subscription_id, "settings")
    page.get_by_role("combobox", name="New owner").click()
    page.get_by_role("option", name=DELEGATE).click()
    page.get_by_role("button", name="Transfer ownership").click()
    confirm = page.get_by_role("alertdialog", name="Transfer ownership?")
    expect(confirm).to_contain_text("You stay an administrator with all permissions")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()

    open_section(delegate, subscription_id, "admins")
    delegate.get_by_role("button", name="Leave this subscription").click()
    delegate.get_by_role("alertdialog", name="Leave this subscription?").get_by_role(
        "button", name="Leave"
    ).click()
    delegate.wait_for_url(re.compile(r"/$"))
    admins = portal.api.login(OWNER).get(f"/api/subscriptions/{subscription_id}/admins").json()
    assert admins["items"] == []

    open_section(page, subscription_id, "admins")
    expect(page.get_by_text("No delegated administrators yet")).to_be_visible()
    page.get_by_role("tab", name="Activity").click()
    log = page.get_by_role("table", name="Activity log")
    expect(log).to_contain_text("Invited administrator")
    expect(log).to_contain_text("Accepted invitation")
    expect(log).to_contain_text("Changed administrator permissions")
    expect(log).to_contain_text("Removed administrator")


def test_an_api_key_is_shown_once_and_stops_working_when_revoked(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.signed_in_page(OWNER, permissions=["clipboard-read", "clipboard-write"])
    subscription_id = portal.buy(page, quantity=5, name="Contoso")
    open_section(page, subscription_id, "api-keys")
    expect(page.get_by_text("No API keys")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("button", name="Create API key").click()
    form = page.get_by_role("dialog", name="Create API key")
    expect(form.get_by_role("checkbox", name="Manage billing")).to_have_count(0)
    form.get_by_role("button", name="Create key").click()
    expect(form.get_by_text("Enter a name, such as what uses the key.")).to_be_visible()
    form.get_by_label("Name").fill("Provisioning script")
    form.get_by_role("checkbox", name="Manage quantity").check()
    form.get_by_role("button", name="Create key").click()

    shown = page.get_by_role("alertdialog", name="Copy your API key")
    expect(shown).to_contain_text("This is the only time the key is shown.")
    key = shown.get_by_label('API key "Provisioning script"').input_value()
    assert key.startswith("smk_")
    shown.get_by_role("button", name="Copy").click()
    expect(shown.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == key
    check_accessibility(page)
    screenshot(page, "subscription-api-key-created")

    bearer = {"Authorization": f"Bearer {key}"}
    reached = portal.api.fresh().get(f"/api/subscriptions/{subscription_id}", headers=bearer)
    assert reached.status_code == 200, reached.text
    assert reached.json()["permissions"] == ["view", "assign", "quantity"]

    shown.get_by_role("button", name="Done").click()
    expect(shown).to_be_hidden()
    assert key not in page.content()
    row = page.get_by_role("row", name=re.compile("Provisioning script"))
    expect(row).to_contain_text("Assign/Unassign licenses, View subscription, Manage quantity")
    expect(row).to_contain_text("Never")
    page.reload()
    expect(page.get_by_role("row", name=re.compile("Provisioning script"))).to_be_visible()
    assert key not in page.content()
    screenshot(page, "subscription-api-keys")

    page.get_by_role("button", name="Revoke Provisioning script").click()
    page.get_by_role("alertdialog", name="Revoke API key?").get_by_role(
        "button", name="Revoke"
    ).click()
    expect(page.get_by_text("No API keys")).to_be_visible()
    revoked = portal.api.fresh().get(f"/api/subscriptions/{subscription_id}", headers=bearer)
    assert revoked.status_code == 401


def test_billing_lists_invoices_and_opens_the_billing_portal(
    portal: Portal, check_accessibility, screenshot
) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5, name="Contoso")
    open_section(page, subscription_id, "billing")

    invoices = page.get_by_role("table", name="Invoices")
    row = invoices.get_by_role("row").nth(1)
    expect(row).to_contain_text("€25.00")
    expect(row).to_contain_text("Paid")
    view = row.get_by_role("link", name=re.compile("^View invoice"))
    expect(view).to_have_attribute("target", "_blank")
    expect(view).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    check_accessibility(page)
    screenshot(page, "subscription-billing")

    page.get_by_role("button", name="Manage payment methods").click()
    page.wait_for_url("**/api/dev/billing/**")
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()


def test_billing_without_invoices_says_so(portal: Portal, check_accessibility) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5)
    page.route(
        "**/invoices?*",
        lambda route: route.fulfill(json={"items": [], "next_cursor": None}),
    )
    open_section(page, subscription_id, "billing")
    expect(page.get_by_role("heading", name="No invoices yet")).to_be_visible()
    expect(page.get_by_role("button", name="Manage payment methods")).to_be_enabled()
    check_accessibility(page)


def test_activity_is_paged_newest_first(portal: Portal) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5)
    owner = portal.api.login(OWNER)
    for n in range(55):
        tick(portal)
        renamed = owner.patch(f"/api/subscriptions/{subscription_id}", json={"name": f"Name {n}"})
        assert renamed.status_code == 200, renamed.text

    open_section(page, subscription_id, "activity")
    rows = page.get_by_role("table", name="Activity log").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Name 54")
    expect(rows).to_have_count(51)  # the header and the first page of 50
    everything = owner.get(
        f"/api/subscriptions/{subscription_id}/activity", params={"limit": 1000}
    ).json()["items"]
    assert len(everything) > 55
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(1 + len(everything))
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    texts = rows.all_inner_texts()
    newest_rename = next(i for i, text in enumerate(texts) if "Name 54" in text)
    oldest_rename = next(i for i, text in enumerate(texts) if "→ Name 0" in text)
    assert 0 < newest_rename < oldest_rename


def test_inviting_and_changing_permissions_work_with_the_keyboard_alone(portal: Portal) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5)
    open_section(page, subscription_id, "admins")

    page.get_by_role("button", name="Add delegated administrator").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Add delegated administrator")
    expect(dialog.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(DELEGATE)
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("checkbox", name="Assign/Unassign licenses")).to_be_focused()
    page.keyboard.press("Tab")  # "View subscription" is always on: the next stop is quantity
    expect(dialog.get_by_role("checkbox", name="Manage quantity")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row", name=re.compile(DELEGATE))
    expect(row).to_contain_text("Manage quantity")

    row.get_by_role("button", name=f"Actions for {DELEGATE}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Change permissions")).to_be_focused()
    page.keyboard.press("Enter")
    change = page.get_by_role("dialog", name="Change permissions")
    expect(change).to_be_visible()
    change.get_by_role("checkbox", name="Manage billing").focus()
    page.keyboard.press("Space")
    change.get_by_role("button", name="Save permissions").focus()
    page.keyboard.press("Enter")
    expect(change).to_be_hidden()
    expect(row).to_contain_text("Manage billing")
    admins = portal.api.login(OWNER).get(f"/api/subscriptions/{subscription_id}/admins").json()
    assert admins["items"][0]["permissions"] == ["view", "assign", "quantity", "billing"]


def test_auto_assign_domains_name_each_unusable_domain(portal: Portal) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5)
    open_section(page, subscription_id, "settings")
    domains = page.get_by_label("Auto-assign domains")

    domains.fill("contoso.com\ngmail.com\nnot-a-domain")
    page.get_by_role("button", name="Save domains").click()
    expect(page.get_by_text("gmail.com is a public email provider")).to_be_visible()
    expect(page.get_by_text("not-a-domain is not a domain name")).to_be_visible()

    # The browser's check lets this one by; the server's refusal still names it.
    domains.fill("contoso.com, ab--cd.com")
    page.get_by_role("button", name="Save domains").click()
    expect(page.get_by_text(re.compile(r"^ab--cd\.com "))).to_be_visible()
    owner = portal.api.login(OWNER)
    assert owner.get(f"/api/subscriptions/{subscription_id}").json()["auto_assign_domains"] == []

    domains.fill("Contoso.com; @fabrikam.com")
    page.get_by_role("button", name="Save domains").click()
    expect(domains).to_have_value("contoso.com\nfabrikam.com")
    subscription = owner.get(f"/api/subscriptions/{subscription_id}").json()
    assert subscription["auto_assign_domains"] == ["contoso.com", "fabrikam.com"]


def test_the_owner_transfers_ownership_and_stays_an_administrator(
    portal: Portal, check_accessibility
) -> None:
    page = portal.signed_in_page(OWNER)
    subscription_id = portal.buy(page, quantity=5, name="Contoso")
    owner = portal.api.login(OWNER)
    invited = owner.post(
        f"/api/subscriptions/{subscription_id}/admins",
        json={"email": DELEGATE, "permissions": ["view", "assign"]},
    )
    assert invited.status_code == 201, invited.text
    (token,) = invitation_tokens(portal.api, portal.services, DELEGATE)
    accepted = portal.api.login(DELEGATE).post(f"/api/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text

    open_section(page, subscription_id, "settings")
    page.get_by_role("combobox", name="New owner").click()
    page.get_by_role("option", name=DELEGATE).click()
    page.get_by_role("button", name="Transfer ownership").click()
    confirm = page.get_by_role("alertdialog", name="Transfer ownership?")
    check_accessibility(page)
    confirm.get_by_role("button", name="Transfer ownership").click()
    expect(confirm).to_be_hidden()

    expect(page.get_by_text("Your role: Delegated administrator")).to_be_visible()
    tabs = page.get_by_role("tablist", name="Subscription sections")
    expect(tabs.get_by_role("tab", name="API keys")).to_have_count(0)
    expect(tabs.get_by_role("tab", name="Billing")).to_be_visible()
    subscription = owner.get(f"/api/subscriptions/{subscription_id}").json()
    assert subscription["owner"]["email"] == DELEGATE
    assert subscription["role"] == "administrator"
    assert sorted(subscription["permissions"]) == ["assign", "billing", "quantity", "view"]
