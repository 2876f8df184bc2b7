"""The add-in's license check against every state a license can be in."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from shared.identity.local_users import local_user
from shared.licenses import listing, seats
from shared.licenses.auto_assign import normalize_domain, set_auto_assign
from shared.licenses.check import check_license
from shared.licenses.lookup import AUTO_ABSENCE_TTL, lookup_table, upsert_lookups
from shared.licenses.model import auto_entity, lookup_key
from shared.licenses.reconcile import reconcile
from shared.licenses.sync import request_lookup_sync
from shared.services import Services
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription
from tests.conftest import Clock
from tests.factories import change_record, drain_license_sync, make_subscription
from tests.shared.licenses.helpers import (
    ACTOR,
    assert_consistent,
    assign_emails,
    outbox_rows,
    seat_emails,
)

LICENSED_KEYS = {"licensed", "email", "status", "subscription", "expires_at", "certificate"}
UNLICENSED_KEYS = {"licensed", "email", "reason", "certificate"}


def check(services: Services, email: str, mailbox: str | None = None) -> dict[str, Any]:
    return check_license(services, email, local_user(email).tenant_id, mailbox)


def assert_unlicensed(answer: dict[str, Any], email: str, reason: str) -> None:
    # The certificate's claims are tested in tests/shared/certificates.
    assert isinstance(answer.pop("certificate"), str)
    assert answer == {"licensed": False, "email": email, "reason": reason}


def test_an_assigned_address_is_licensed_with_exactly_the_documented_fields(
    services: Services,
) -> None:
    subscription = make_subscription(services, name="Contoso Ltd")
    assign_emails(services, subscription, ["ann@contoso.com"])
    answer = check(services, "ann@contoso.com")
    assert set(answer) == LICENSED_KEYS
    assert answer["licensed"] is True and answer["status"] == "active"
    assert answer["email"] == "ann@contoso.com" and answer["subscription"] == "Contoso Ltd"
    assert answer["expires_at"].endswith("Z")


def test_never_assigned_is_not_licensed(services: Services) -> None:
    make_subscription(services)
    answer = check(services, "nobody@contoso.com")
    assert set(answer) == UNLICENSED_KEYS
    assert_unlicensed(answer, "nobody@contoso.com", "no_license")


def test_past_due_still_licenses_and_expired_does_not(services: Services) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["ann@contoso.com"])

    change_record(services, subscription.id, status=Status.PAST_DUE)
    request_lookup_sync(services, subscription.id)  # what the purchases code does
    assert drain_license_sync(services) == 1
    assert check(services, "ann@contoso.com")["status"] == "past_due"

    change_record(services, subscription.id, status=Status.EXPIRED)
    request_lookup_sync(services, subscription.id)
    drain_license_sync(services)
    assert_unlicensed(check(services, "ann@contoso.com"), "ann@contoso.com", "expired")


def test_removed_and_reassigned_licenses_stop_and_the_new_holder_starts(
    services: Services,
) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["a@contoso.com", "b@contoso.com"])
    seats.unassign(
        services, get_subscription(services, subscription.id), "a@contoso.com", actor=ACTOR
    )
    seats.reassign(
        services,
        get_subscription(services, subscription.id),
        "b@contoso.com",
        "c@contoso.com",
        actor=ACTOR,
    )
    assert_unlicensed(check(services, "a@contoso.com"), "a@contoso.com", "no_license")
    assert_unlicensed(check(services, "b@contoso.com"), "b@contoso.com", "no_license")
    assert check(services, "c@contoso.com")["licensed"] is True


def test_a_working_license_wins_over_an_expired_one(services: Services) -> None:
    old = make_subscription(services, name="Old")
    assign_emails(services, old, ["ann@contoso.com"])
    change_record(services, old.id, status=Status.EXPIRED)
    request_lookup_sync(services, old.id)
    drain_license_sync(services)
    new = make_subscription(services, name="New")
    assign_emails(services, new, ["ann@contoso.com"])
    assert check(services, "ann@contoso.com")["subscription"] == "New"


def test_a_shared_mailbox_counts_only_in_the_callers_own_domain(services: Services) -> None:
    subscription = make_subscription(services)
    assign_emails(
        services, subscription, ["sales@contoso.com", "info@fabrikam.com"], shared_mailbox=True
    )
    answer = check(services, "ann@contoso.com", mailbox="sales@contoso.com")
    assert answer["licensed"] is True and answer["email"] == "sales@contoso.com"
    assert_unlicensed(
        check(services, "ann@contoso.com", mailbox="info@fabrikam.com"),
        "ann@contoso.com",
        "no_license",
    )
    # The caller's own license answers first.
    assign_emails(services, get_subscription(services, subscription.id), ["ann@contoso.com"])
    assert check(services, "ann@contoso.com", "sales@contoso.com")["email"] == "ann@contoso.com"


def seat_row(services: Services, subscription_id: str, email: str) -> Any:
    return seats.get_seat(services, subscription_id, email)


def test_last_use_is_written_at_most_once_a_day(services: Services, clock: Clock) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["ann@contoso.com"])
    assert "last_seen_at" not in seat_row(services, subscription.id, "ann@contoso.com")

    check(services, "ann@contoso.com")
    first = seat_row(services, subscription.id, "ann@contoso.com")
    assert abs(first["last_seen_at"] - clock()) < timedelta(seconds=1)
    pk, rk = lookup_key("ann@contoso.com", subscription.id)
    lookup_etag = lookup_table(services).get_entity(pk, rk).metadata["etag"]

    clock.advance(timedelta(minutes=5))
    for _ in range(3):
        check(services, "ann@contoso.com")
    assert (
        seat_row(services, subscription.id, "ann@contoso.com").metadata["etag"]
        == (first.metadata["etag"])
    )
    assert lookup_table(services).get_entity(pk, rk).metadata["etag"] == lookup_etag

    clock.advance(timedelta(days=1))
    check(services, "ann@contoso.com")
    later = seat_row(services, subscription.id, "ann@contoso.com")["last_seen_at"]
    assert later > first["last_seen_at"] + timedelta(hours=23)


def test_a_license_whose_lookup_delete_failed_stops_within_one_reconciliation(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["ann@contoso.com"])

    def storage_down(*args: Any, **kwargs: Any) -> None:
        from azure.core.exceptions import ServiceRequestError

        raise ServiceRequestError("look-up unreachable")

    monkeypatch.setattr("shared.licenses.lookup.delete_lookups", storage_down)
    seats.unassign(
        services, get_subscription(services, subscription.id), "ann@contoso.com", actor=ACTOR
    )
    monkeypatch.undo()
    assert check(services, "ann@contoso.com")["licensed"] is True  # stale, until the cycle
    reconcile(services)
    assert_unlicensed(check(services, "ann@contoso.com"), "ann@contoso.com", "no_license")


def test_auto_assign_gives_free_seats_to_the_domain_and_never_beyond_the_quantity(
    services: Services,
) -> None:
    subscription = make_subscription(services, quantity=3)
    assign_emails(services, subscription, ["first@contoso.com"])
    set_auto_assign(
        services, get_subscription(services, subscription.id), ["contoso.com"], actor=ACTOR
    )

    start = threading.Barrier(12)

    def user(index: int) -> bool:
        start.wait()
        return bool(check(services, f"user{index}@contoso.com")["licensed"])

    with ThreadPoolExecutor(12) as pool:
        licensed = list(pool.map(user, range(12)))
    assert licensed.count(True) == 2
    after = assert_consistent(services, subscription.id)
    assert after.assigned == 3
    assert len(outbox_rows(services, subscription.id)) == 3  # each got a welcome email
    winners = seat_emails(services, subscription.id) - {"first@contoso.com"}
    for email in winners:
        assert check(services, email)["licensed"] is True


def test_auto_assign_needs_the_owners_tenant_and_a_listed_domain(services: Services) -> None:
    subscription = make_subscription(services, quantity=5)
    set_auto_assign(services, subscription, ["contoso.com"], actor=ACTOR)
    other_tenant = local_user("x@fabrikam.com").tenant_id
    answer = check_license(services, "eve@contoso.com", other_tenant)
    assert_unlicensed(answer, "eve@contoso.com", "no_license")
    assert_unlicensed(check(services, "bob@fabrikam.com"), "bob@fabrikam.com", "no_license")
    assert get_subscription(services, subscription.id).assigned == 0

    set_auto_assign(services, get_subscription(services, subscription.id), [], actor=ACTOR)
    assert_unlicensed(check(services, "ann@contoso.com"), "ann@contoso.com", "no_license")


def test_an_expired_subscription_auto_assigns_nothing(services: Services) -> None:
    subscription = make_subscription(services, quantity=5)
    set_auto_assign(services, subscription, ["contoso.com"], actor=ACTOR)
    change_record(services, subscription.id, status=Status.EXPIRED)
    request_lookup_sync(services, subscription.id)
    drain_license_sync(services)
    assert_unlicensed(check(services, "ann@contoso.com"), "ann@contoso.com", "no_license")


@pytest.mark.parametrize(
    ("given", "expected"),
    [(" Contoso.COM. ", "contoso.com"), ("sub.contoso.co.uk", "sub.contoso.co.uk")],
)
def test_domains_are_normalized(given: str, expected: str) -> None:
    assert normalize_domain(given) == expected


@pytest.mark.parametrize(
    "given",
    ["", "contoso", "-contoso.com", "contoso..com", "a@contoso.com", "1.2.3.4", "gmail.com"],
)
def test_bad_and_public_domains_are_refused(given: str) -> None:
    with pytest.raises(ValueError):
        normalize_domain(given)


@pytest.mark.parametrize(
    "domain",
    [
        "hotmail.co.uk",
        "outlook.fr",
        "yahoo.co.jp",
        "web.de",
        "qq.com",
        "163.com",
        "mail.ru",
        "naver.com",
        "libero.it",
        "orange.fr",
        "t-online.de",
        "yandex.ru",
        "Hotmail.CO.UK.",
    ],
)
def test_public_mail_services_worldwide_cannot_be_auto_assigned(domain: str) -> None:
    with pytest.raises(ValueError, match="public email service"):
        normalize_domain(domain)


def test_a_domain_seen_without_auto_assign_is_read_again_after_a_minute(
    services: Services, clock: Clock
) -> None:
    subscription = make_subscription(services, quantity=5)
    assert_unlicensed(check(services, "ann@contoso.com"), "ann@contoso.com", "no_license")
    # Listed by this process: effective at once.
    set_auto_assign(services, subscription, ["contoso.com"], actor=ACTOR)
    assert check(services, "ann@contoso.com")["licensed"] is True

    other = make_subscription(services, "owner@fabrikam.com", quantity=5)
    assert_unlicensed(check(services, "bob@fabrikam.com"), "bob@fabrikam.com", "no_license")
    # Listed by another process (its rows written behind this one's back): within a minute.
    upsert_lookups(
        services,
        [auto_entity(other.with_changes(auto_assign_domains=("fabrikam.com",)), "fabrikam.com")],
    )
    change_record(services, other.id, auto_assign_domains=("fabrikam.com",))
    assert_unlicensed(check(services, "bob@fabrikam.com"), "bob@fabrikam.com", "no_license")
    clock.advance(AUTO_ABSENCE_TTL + timedelta(seconds=1))
    assert check(services, "bob@fabrikam.com")["licensed"] is True


def test_a_colleagues_license_does_not_license_the_caller_through_mailbox(
    services: Services, clock: Clock
) -> None:
    """One seat must not license a whole domain: only a license marked shared mailbox counts,
    and someone else's check leaves the mailbox's last use alone."""
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["colleague@contoso.com"])
    assert_unlicensed(
        check(services, "ann@contoso.com", mailbox="colleague@contoso.com"),
        "ann@contoso.com",
        "no_license",
    )
    # Marked a shared mailbox, it counts; the caller's check is not the mailbox's use.
    seats.relabel(
        services,
        subscription,
        "colleague@contoso.com",
        None,
        actor="owner@contoso.com",
        change_label=False,
        shared_mailbox=True,
    )
    answer = check(services, "ann@contoso.com", mailbox="colleague@contoso.com")
    assert answer["licensed"] is True and answer["email"] == "colleague@contoso.com"
    assert seat_row(services, subscription.id, "colleague@contoso.com").get("last_seen_at") is None
    # Unmarked again, it stops counting at once.
    seats.relabel(
        services,
        subscription,
        "colleague@contoso.com",
        None,
        actor="owner@contoso.com",
        change_label=False,
        shared_mailbox=False,
    )
    assert check(services, "ann@contoso.com", mailbox="colleague@contoso.com")["licensed"] is False
    # The mailbox's own check still records its use.
    check(services, "colleague@contoso.com")
    assert seat_row(services, subscription.id, "colleague@contoso.com")["last_seen_at"] is not None


def test_a_pending_subscriptions_seats_do_not_license_anyone(services: Services) -> None:
    """Seats of a checkout never paid are not working licenses, in the check or the listing."""
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["ann@contoso.com"])
    change_record(services, subscription.id, status=Status.PENDING)
    request_lookup_sync(services, subscription.id)
    drain_license_sync(services)
    assert check(services, "ann@contoso.com")["licensed"] is False
    pending = get_subscription(services, subscription.id)
    page = listing.list_licenses(services, pending, listing.LicenseQuery())
    assert [item["status"] for item in page["items"]] == ["expired"]
