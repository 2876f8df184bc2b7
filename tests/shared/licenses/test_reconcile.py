"""The reconciliation and the `licensesync` queue: the look-up follows the seats."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from azure.core.exceptions import ServiceRequestError

from shared.licenses.auto_assign import set_auto_assign
from shared.licenses.lookup import lookup_table
from shared.licenses.model import auto_key, lookup_key, lookup_partition
from shared.licenses.reconcile import MARKER_GRACE, full_sweep, reconcile, start_full_sweep
from shared.licenses.seats import reassign, unassign
from shared.licenses.sync import handle_sync_message, sync_subscription
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE
from shared.subscriptions.activity import activity_row, list_activity
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription, subscriptions_table
from tests.conftest import Clock
from tests.factories import change_record, make_subscription
from tests.shared.licenses.helpers import (
    ACTOR,
    addresses,
    assert_consistent,
    assign_emails,
    lookup_emails,
    seat_emails,
)


def lookup_row(services: Services, email: str, subscription_id: str) -> object:
    return lookup_table(services).get_entity(*lookup_key(email, subscription_id))


def test_missing_rows_are_added_stale_rows_removed_and_a_second_run_changes_nothing(
    services: Services,
) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, addresses(4))
    table = lookup_table(services)
    table.delete_entity(*lookup_key("user0001@contoso.com", subscription.id))
    table.upsert_entity(
        {
            "PartitionKey": lookup_key("ghost@contoso.com", subscription.id)[0],
            "RowKey": lookup_key("ghost@contoso.com", subscription.id)[1],
            "status": "active",
        }
    )
    report = full_sweep(services)
    assert report.deleted == 1 and report.sweep_finished
    assert lookup_emails(services, subscription.id) == set(addresses(4))
    again = full_sweep(services)
    assert (again.deleted, again.rolled_back, again.counts_corrected) == (0, 0, 0)
    assert lookup_emails(services, subscription.id) == set(addresses(4))


def test_an_outdated_status_is_rewritten_and_last_use_is_kept(services: Services) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["ann@contoso.com"])
    lookup_table(services).update_entity(
        {
            "PartitionKey": lookup_key("ann@contoso.com", subscription.id)[0],
            "RowKey": lookup_key("ann@contoso.com", subscription.id)[1],
            "last_seen": "2026-01-01",
        }
    )
    change_record(services, subscription.id, status=Status.EXPIRED, name="Renamed")
    assert full_sweep(services).written == 1
    row = lookup_row(services, "ann@contoso.com", subscription.id)
    assert row["status"] == "expired" and row["subscription"] == "Renamed"  # type: ignore[index]
    assert row["last_seen"] == "2026-01-01"  # type: ignore[index]


def test_a_wrong_count_is_corrected(services: Services) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, addresses(3))
    change_record(services, subscription.id, assigned=7)
    assert full_sweep(services).counts_corrected == 1
    assert assert_consistent(services, subscription.id).assigned == 3


def test_auto_assign_entries_follow_the_records(services: Services) -> None:
    subscription = make_subscription(services)
    set_auto_assign(services, subscription, ["contoso.com", "fabrikam.com"], actor=ACTOR)
    table = lookup_table(services)
    table.delete_entity(lookup_partition("contoso.com"), auto_key(subscription.id))
    change_record(services, subscription.id, auto_assign_domains=("contoso.com",))
    full_sweep(services)
    contoso = table.get_entity(lookup_partition("contoso.com"), auto_key(subscription.id))
    assert contoso["tenant_id"] == subscription.owner.tenant_id
    gone = list(table.query_entities(f"PartitionKey eq '{lookup_partition('fabrikam.com')}'"))
    assert gone == []


def test_a_sync_message_rewrites_every_row_of_the_subscription(services: Services) -> None:
    subscription = make_subscription(services)
    set_auto_assign(services, subscription, ["contoso.com"], actor=ACTOR)
    assign_emails(services, get_subscription(services, subscription.id), addresses(3))
    change_record(services, subscription.id, status=Status.PAST_DUE)
    handle_sync_message(services, json.dumps({"subscription_id": subscription.id}))
    statuses = {row["status"] for row in lookup_table(services).list_entities()}
    assert statuses == {"past_due"}
    assert sync_subscription(services, "no-such-subscription") == 0


def test_malformed_sync_messages_are_dropped(services: Services) -> None:
    for text in ("not json", "{}", json.dumps({"subscription_id": "x" * 100})):
        handle_sync_message(services, text)


def test_a_release_message_enqueues_only_that_assignments_unsent_emails(
    services: Services,
) -> None:
    subscription = make_subscription(services, quantity=10)
    outcome = assign_emails(services, subscription, addresses(2))
    batch = outcome.assigned[0]["batch"]
    queue = services.storage.queue(EMAIL_QUEUE)
    queue.clear_messages()
    handle_sync_message(
        services, json.dumps({"subscription_id": subscription.id, "release": batch})
    )
    assert queue.get_queue_properties().approximate_message_count == 2
    assert seat_emails(services, subscription.id) == set(addresses(2))


def test_a_license_removed_while_its_lookup_delete_fails_is_gone_after_one_cycle(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, addresses(3))
    reconcile(services)  # the first cycle runs the day's full sweep
    removed = addresses(3)[1]

    def storage_down(*args: object, **kwargs: object) -> None:
        raise ServiceRequestError("look-up unreachable")

    monkeypatch.setattr("shared.licenses.lookup.delete_lookups", storage_down)
    unassign(services, get_subscription(services, subscription.id), removed, actor=ACTOR)
    monkeypatch.undo()
    assert removed in lookup_emails(services, subscription.id)  # stale until the cycle

    clock.advance(MARKER_GRACE)  # the next cycle, when the unassign has surely ended
    report = reconcile(services)
    assert report.sweep_steps == 0  # not the sweep: the work list
    assert (report.deleted, report.markers) == (1, 1)
    assert lookup_emails(services, subscription.id) == set(addresses(3)) - {removed}
    assert reconcile(services).markers == 0


@pytest.mark.parametrize("change", ["unassign", "reassign"])
def test_a_removal_whose_process_dies_after_the_commit_is_gone_after_the_next_cycle(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, addresses(3))
    reconcile(services)  # the first cycle runs the day's full sweep
    removed = addresses(3)[0]

    def process_dies(*args: object, **kwargs: object) -> None:
        raise SystemExit("the worker stopped between the seat's commit and the look-up")

    monkeypatch.setattr("shared.licenses.seats.after_seat_change", process_dies)
    current = get_subscription(services, subscription.id)
    with pytest.raises(SystemExit):
        if change == "unassign":
            unassign(services, current, removed, actor=ACTOR)
        else:
            reassign(services, current, removed, "newcomer@contoso.com", actor=ACTOR)
    monkeypatch.undo()
    assert removed in lookup_emails(services, subscription.id)  # stale until the cycle

    # A cycle while the change might still be running repairs but keeps the work...
    reconcile(services)
    assert removed not in lookup_emails(services, subscription.id)
    # ...so a look-up written late by the dying change is repaired by the next one too.
    clock.advance(MARKER_GRACE)
    reconcile(services)
    assert removed not in lookup_emails(services, subscription.id)
    assert reconcile(services).markers == 0


def test_an_interrupted_full_sweep_resumes_where_it_stopped(services: Services) -> None:
    subscriptions = [make_subscription(services) for _ in range(3)]
    for n, subscription in enumerate(subscriptions):
        assign_emails(services, subscription, [f"user{n}@contoso.com"])
    full_sweep(services)
    table = lookup_table(services)
    for n, subscription in enumerate(subscriptions):
        table.delete_entity(*lookup_key(f"user{n}@contoso.com", subscription.id))
    start_full_sweep(services)

    first = reconcile(services, max_sweep_steps=2)
    assert (first.sweep_steps, first.written, first.sweep_finished) == (2, 2, False)
    repaired = {s.id for n, s in enumerate(subscriptions) if lookup_emails(services, s.id)}
    assert len(repaired) == 2
    second = reconcile(services)
    assert second.sweep_finished and second.written == 1  # only the partition not yet swept
    for n, subscription in enumerate(subscriptions):
        assert lookup_emails(services, subscription.id) == {f"user{n}@contoso.com"}
    assert reconcile(services).sweep_steps == 0  # the next sweep is a day away


def test_the_daily_sweep_deletes_activity_past_its_retention_and_keeps_the_rest(
    services: Services, clock: Clock
) -> None:
    subscription = make_subscription(services)
    days = services.settings.activity_retention_days
    table = subscriptions_table(services)
    for age in (days + 30, days + 1, days - 1, 0):
        table.create_entity(
            activity_row(
                subscription.id, at=clock() - timedelta(days=age), actor=ACTOR, action="test"
            )
        )
    report = full_sweep(services)
    assert report.activity_expired == 2
    kept = list_activity(services, subscription.id, 100, None).items
    assert sorted(item.at for item in kept if item.action == "test") == [
        clock() - timedelta(days=days - 1),
        clock(),
    ]
