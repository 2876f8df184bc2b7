"""Seats: all-or-nothing assignment in one or many transactions, and every other change."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from shared.errors import Conflict, FieldError, NotFound
from shared.licenses import seats
from shared.licenses.model import BATCH_RANGE
from shared.licenses.reconcile import reconcile
from shared.licenses.seats import SEATS_PER_TRANSACTION, Requested, assign
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE
from shared.subscriptions.activity import list_activity
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription
from tests.conftest import Clock
from tests.factories import change_record, drain_license_sync, make_subscription
from tests.shared.licenses.helpers import (
    ACTOR,
    addresses,
    assert_consistent,
    assign_emails,
    lookup_emails,
    outbox_rows,
    rows_in_range,
    seat_emails,
)

MULTI = 2 * SEATS_PER_TRANSACTION + 22  # three transactions


def queued(services: Services, queue: str) -> int:
    return services.storage.queue(queue).get_queue_properties().approximate_message_count


def test_assigning_writes_seats_welcome_emails_count_activity_and_lookup(
    services: Services,
) -> None:
    subscription = make_subscription(services, quantity=5)
    emails = ["ann@contoso.com", "bob@contoso.com", "cy@fabrikam.com"]
    outcome = assign_emails(services, subscription, emails, label="Client A")

    assert [seat["email"] for seat in outcome.assigned] == emails
    assert outcome.already_assigned == []
    after = assert_consistent(services, subscription.id)
    assert after.assigned == 3
    assert seat_emails(services, subscription.id) == set(emails)
    welcome = outbox_rows(services, subscription.id)
    assert sorted(row["to"] for row in welcome) == sorted(emails)
    assert {row["template"] for row in welcome} == {"welcome"}
    assert queued(services, EMAIL_QUEUE) == 3
    assert lookup_emails(services, subscription.id) == set(emails)
    activity = list_activity(services, subscription.id, 10, None).items
    assert [(a.action, a.actor) for a in activity] == [("licenses_assigned", ACTOR)]
    assert "Client A" in (activity[0].detail or "")


def test_repeated_and_already_assigned_addresses_are_reported_and_get_no_second_email(
    services: Services,
) -> None:
    subscription = make_subscription(services, quantity=5)
    assign_emails(services, subscription, ["a@contoso.com", "b@contoso.com"])
    outcome = assign_emails(
        services,
        get_subscription(services, subscription.id),
        ["b@contoso.com", "c@contoso.com", "c@contoso.com", "a@contoso.com"],
    )
    assert [seat["email"] for seat in outcome.assigned] == ["c@contoso.com"]
    assert [seat["email"] for seat in outcome.already_assigned] == [
        "b@contoso.com",
        "c@contoso.com",
        "a@contoso.com",
    ]
    assert assert_consistent(services, subscription.id).assigned == 3
    assert len(outbox_rows(services, subscription.id)) == 3


def test_only_already_assigned_addresses_change_nothing(services: Services) -> None:
    subscription = make_subscription(services, quantity=1)
    assign_emails(services, subscription, ["a@contoso.com"])
    before = get_subscription(services, subscription.id)
    outcome = assign_emails(services, before, ["a@contoso.com"])
    assert outcome.assigned == [] and len(outcome.already_assigned) == 1
    assert get_subscription(services, subscription.id).etag == before.etag


def test_more_new_addresses_than_free_seats_assign_nothing(services: Services) -> None:
    subscription = make_subscription(services, quantity=5)
    assign_emails(services, subscription, addresses(3))
    with pytest.raises(Conflict) as refused:
        assign_emails(
            services,
            get_subscription(services, subscription.id),
            ["user0000@contoso.com", "new1@contoso.com", "new2@contoso.com", "new3@contoso.com"],
        )
    assert refused.value.code == "not_enough_seats"
    assert refused.value.extra == {"available": 2, "requested": 3}
    assert seat_emails(services, subscription.id) == set(addresses(3))
    assert assert_consistent(services, subscription.id).assigned == 3


def test_a_past_due_subscription_takes_licenses(services: Services) -> None:
    subscription = make_subscription(services, status=Status.PAST_DUE)
    assert len(assign_emails(services, subscription, ["a@contoso.com"]).assigned) == 1


@pytest.mark.parametrize("status", [Status.PENDING, Status.EXPIRED])
def test_a_pending_or_expired_subscription_takes_no_licenses_and_sends_nothing(
    services: Services, status: Status
) -> None:
    """A checkout never paid is no relay for welcome emails to outside addresses."""
    subscription = make_subscription(services, status=status)
    with pytest.raises(Conflict) as refused:
        assign_emails(services, subscription, addresses(60, "outside.example"))
    assert refused.value.code == "subscription_not_active"
    assert_consistent(services, subscription.id)
    assert outbox_rows(services, subscription.id) == []


def test_many_addresses_commit_as_one_and_their_emails_wait_for_the_commit(
    services: Services, clock: Clock
) -> None:
    subscription = make_subscription(services, quantity=MULTI + 1)
    emails = addresses(MULTI)
    outcome = assign_emails(services, subscription, emails)

    assert len(outcome.assigned) == MULTI
    assert assert_consistent(services, subscription.id).assigned == MULTI
    assert lookup_emails(services, subscription.id) == set(emails)
    welcome = outbox_rows(services, subscription.id)
    assert len(welcome) == MULTI
    # Held from the outbox sweep while uncommitted; released in one message after the commit.
    assert all(row["not_before"] > clock() + timedelta(minutes=10) for row in welcome)
    assert queued(services, EMAIL_QUEUE) == 0
    assert drain_license_sync(services) == 1
    assert queued(services, EMAIL_QUEUE) == MULTI
    activity = list_activity(services, subscription.id, 10, None).items
    assert [a.target for a in activity] == [f"{MULTI} licenses"]
    again = assign_emails(services, get_subscription(services, subscription.id), emails[:2])
    assert (again.assigned, len(again.already_assigned)) == ([], 2)


class FailingSubmit:
    """Wraps seats.submit: the nth call (1-based) raises `error` instead of committing (or,
    with `after_commit`, once it has committed: the answer was lost)."""

    def __init__(
        self, nth: int, error: BaseException, before: Any = None, *, after_commit: bool = False
    ) -> None:
        self.nth, self.error, self.before, self.after_commit = nth, error, before, after_commit
        self.calls = 0
        self.real = seats.submit

    def __call__(self, services: Services, operations: list[Any]) -> Any:
        self.calls += 1
        if self.before is not None and self.calls == self.nth:
            self.before()
        elif self.calls == self.nth and self.after_commit:
            self.real(services, operations)
            raise self.error
        elif self.calls == self.nth:
            raise self.error
        return self.real(services, operations)


def test_a_failure_after_the_reservation_rolls_the_whole_assignment_back(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services, quantity=MULTI)
    assign_emails(services, subscription, ["kept@contoso.com"])
    failing = FailingSubmit(3, HttpResponseError("storage fell over"))
    monkeypatch.setattr(seats, "submit", failing)
    with pytest.raises(HttpResponseError):
        assign_emails(services, get_subscription(services, subscription.id), addresses(MULTI - 1))
    monkeypatch.undo()

    assert assert_consistent(services, subscription.id).assigned == 1
    assert seat_emails(services, subscription.id) == {"kept@contoso.com"}
    assert [row["to"] for row in outbox_rows(services, subscription.id)] == ["kept@contoso.com"]
    assert lookup_emails(services, subscription.id) == {"kept@contoso.com"}


def test_an_address_taken_midway_rolls_back_then_the_retry_reports_it_already_assigned(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services, quantity=MULTI + 1)
    emails = addresses(MULTI)
    late = emails[-1]  # written by the last transaction

    def someone_else_assigns_it() -> None:
        assign(services, get_subscription(services, subscription.id), [Requested(late)], actor="x")

    # The concurrent assignment runs just before our third transaction.
    interloper = FailingSubmit(3, RuntimeError(), before=someone_else_assigns_it)
    monkeypatch.setattr(seats, "submit", interloper)
    outcome = assign_emails(services, subscription, emails)
    monkeypatch.undo()

    assert len(outcome.assigned) == MULTI - 1
    assert [seat["email"] for seat in outcome.already_assigned] == [late]
    assert assert_consistent(services, subscription.id).assigned == MULTI
    assert len(outbox_rows(services, subscription.id)) == MULTI


def set_quantity(services: Services, subscription_id: str, quantity: int) -> None:
    """The purchases code's rule: never below the assigned count; under the ETag."""
    current = get_subscription(services, subscription_id)
    if quantity >= current.assigned:
        change_record(services, subscription_id, quantity=quantity)


def test_a_reservation_whose_answer_was_lost_is_rolled_back_at_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services, quantity=MULTI)
    lost = FailingSubmit(1, HttpResponseError("connection reset"), after_commit=True)
    monkeypatch.setattr(seats, "submit", lost)
    with pytest.raises(HttpResponseError):
        assign_emails(services, subscription, addresses(MULTI))
    monkeypatch.undo()
    assert assert_consistent(services, subscription.id).assigned == 0
    assert outbox_rows(services, subscription.id) == []


def test_seats_of_an_assignment_still_being_written_are_not_reported_as_assigned(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services, quantity=MULTI + 5)
    monkeypatch.setattr(seats, "submit", FailingSubmit(2, Crash()))
    with pytest.raises(Crash):
        assign_emails(services, subscription, addresses(MULTI))
    monkeypatch.setattr(seats, "submit", FailingSubmit(0, Crash()))  # commits normally
    monkeypatch.setattr(seats, "ASSIGN_RETRIES", 2)
    written = addresses(1)[0]  # in the first transaction: a staged seat now
    assert written in seat_emails(services, subscription.id)
    with pytest.raises(Conflict) as waiting:
        assign_emails(services, get_subscription(services, subscription.id), [written])
    assert waiting.value.code == "concurrent_change"

    clock.advance(seats.BATCH_TIMEOUT + timedelta(seconds=1))
    reconcile(services)
    outcome = assign_emails(services, get_subscription(services, subscription.id), [written])
    assert [seat["email"] for seat in outcome.assigned] == [written]
    assert assert_consistent(services, subscription.id).assigned == 1


class Crash(BaseException):
    """The process dies: no except clause of the service runs."""


def test_a_request_that_dies_midway_is_rolled_back_by_the_reconciliation(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services, quantity=MULTI)
    monkeypatch.setattr(seats, "submit", FailingSubmit(2, Crash()))
    with pytest.raises(Crash):
        assign_emails(services, subscription, addresses(MULTI))
    monkeypatch.undo()

    # Reserved but uncommitted: counted, written in part, invisible to the add-in.
    record = get_subscription(services, subscription.id)
    assert record.assigned == MULTI
    assert len(seat_emails(services, subscription.id)) == SEATS_PER_TRANSACTION
    assert len(rows_in_range(services, subscription.id, BATCH_RANGE)) == 1
    assert reconcile(services).rolled_back == 0  # it may still be running
    assert lookup_emails(services, subscription.id) == set()

    clock.advance(seats.BATCH_TIMEOUT + timedelta(seconds=1))
    assert reconcile(services).rolled_back == 1
    assert assert_consistent(services, subscription.id).assigned == 0
    assert outbox_rows(services, subscription.id) == []
    assert reconcile(services).rolled_back == 0
    # The seats are free again.
    assert (
        len(
            assign_emails(
                services, get_subscription(services, subscription.id), addresses(3)
            ).assigned
        )
        == 3
    )


def test_a_late_request_cannot_commit_a_batch_that_was_rolled_back(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription(services, quantity=MULTI)

    def rolled_back_meanwhile() -> None:
        batch = rows_in_range(services, subscription.id, BATCH_RANGE)[0]
        seats.rollback_batch(services, subscription.id, batch["RowKey"].split("|", 1)[1])

    monkeypatch.setattr(
        seats, "submit", FailingSubmit(3, RuntimeError(), before=rolled_back_meanwhile)
    )
    monkeypatch.setattr(seats, "ASSIGN_RETRIES", 1)
    with pytest.raises(Conflict):
        assign_emails(services, subscription, addresses(MULTI))
    monkeypatch.undo()
    assert assert_consistent(services, subscription.id).assigned == 0
    assert outbox_rows(services, subscription.id) == []


def test_unassign_frees_the_seat_and_removes_the_lookup(services: Services, clock: Clock) -> None:
    subscription = make_subscription(services, quantity=2)
    assign_emails(services, subscription, ["a@contoso.com", "b@contoso.com"])
    clock.advance(timedelta(seconds=1))  # the activity log orders by time
    seats.unassign(
        services, get_subscription(services, subscription.id), "a@contoso.com", actor=ACTOR
    )
    assert assert_consistent(services, subscription.id).assigned == 1
    assert lookup_emails(services, subscription.id) == {"b@contoso.com"}
    with pytest.raises(NotFound):
        seats.unassign(
            services, get_subscription(services, subscription.id), "a@contoso.com", actor=ACTOR
        )
    assert assert_consistent(services, subscription.id).assigned == 1
    actions = [a.action for a in list_activity(services, subscription.id, 10, None).items]
    assert actions == ["license_unassigned", "licenses_assigned"]


def test_relabel_sets_and_clears_the_label(services: Services) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, ["a@contoso.com"])
    seat = seats.relabel(services, subscription, "a@contoso.com", "Client B", actor=ACTOR)
    assert seat["label"] == "Client B"
    assert seats.get_seat(services, subscription.id, "a@contoso.com")["label"] == "Client B"
    seats.relabel(services, subscription, "a@contoso.com", None, actor=ACTOR)
    assert seats.get_seat(services, subscription.id, "a@contoso.com")["label"] == ""
    with pytest.raises(NotFound):
        seats.relabel(services, subscription, "nobody@contoso.com", "x", actor=ACTOR)


def test_reassign_moves_the_seat_in_one_transaction(services: Services) -> None:
    subscription = make_subscription(services, quantity=1)
    assign_emails(services, subscription, ["old@contoso.com"], label="Client A")
    seat = seats.reassign(
        services,
        get_subscription(services, subscription.id),
        "old@contoso.com",
        "new@contoso.com",
        actor=ACTOR,
    )
    assert seat["email"] == "new@contoso.com" and seat["label"] == "Client A"
    assert assert_consistent(services, subscription.id).assigned == 1
    assert seat_emails(services, subscription.id) == {"new@contoso.com"}
    assert lookup_emails(services, subscription.id) == {"new@contoso.com"}
    assert sorted(r["to"] for r in outbox_rows(services, subscription.id)) == [
        "new@contoso.com",
        "old@contoso.com",
    ]


def test_reassign_refuses_a_holder_a_stranger_to_the_seat_and_an_expired_subscription(
    services: Services,
) -> None:
    subscription = make_subscription(services, quantity=2)
    assign_emails(services, subscription, ["a@contoso.com", "b@contoso.com"])
    current = get_subscription(services, subscription.id)
    with pytest.raises(Conflict) as holder:
        seats.reassign(services, current, "a@contoso.com", "b@contoso.com", actor=ACTOR)
    assert holder.value.code == "already_assigned"
    with pytest.raises(NotFound):
        seats.reassign(services, current, "x@contoso.com", "y@contoso.com", actor=ACTOR)
    with pytest.raises(FieldError):
        seats.reassign(services, current, "a@contoso.com", "a@contoso.com", actor=ACTOR)
    expired = change_record(services, subscription.id, status=Status.EXPIRED)
    with pytest.raises(Conflict) as gone:
        seats.reassign(services, expired, "a@contoso.com", "c@contoso.com", actor=ACTOR)
    assert gone.value.code == "subscription_not_active"
    assert seat_emails(services, subscription.id) == {"a@contoso.com", "b@contoso.com"}


def test_fifty_concurrent_assignments_racing_for_ten_seats(services: Services) -> None:
    subscription = make_subscription(services, quantity=15)
    assign_emails(services, subscription, addresses(5, prefix="early"))
    start = threading.Barrier(50)

    def one(index: int) -> str:
        start.wait()
        try:
            assign(
                services,
                get_subscription(services, subscription.id),
                [Requested(f"racer{index}@contoso.com")],
                actor=ACTOR,
            )
        except Conflict as refused:
            return refused.code
        return "assigned"

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(one, range(50)))
    assert results.count("assigned") == 10
    assert results.count("not_enough_seats") == 40
    after = assert_consistent(services, subscription.id)
    assert after.assigned == 15 == after.quantity
    assert len(seat_emails(services, subscription.id)) == 15
    assert len(outbox_rows(services, subscription.id)) == 15


@pytest.mark.parametrize("seed", [7, 2026])
def test_random_concurrent_changes_keep_every_invariant(services: Services, seed: int) -> None:
    subscription = make_subscription(services, quantity=120)
    pool = addresses(140, prefix="r")
    # Large assignments mostly use addresses of their own, and a few the others use too: an
    # overlap makes them roll back and try again, which is tested on its own above.
    private = addresses(60, prefix="big")
    errors: list[BaseException] = []
    done: Counter[str] = Counter()

    def worker(number: int) -> None:
        rng = random.Random(seed * 100 + number)
        for step in range(14):
            current = get_subscription(services, subscription.id)
            held = sorted(seat_emails(services, subscription.id))
            choice = rng.random()
            try:
                if choice < 0.4 or (number, step) == (0, 0):
                    # One thread sometimes assigns more than one transaction holds.
                    many = number == 0 and (step == 0 or rng.random() < 0.3)
                    chosen = (
                        rng.sample(private, 52) + rng.sample(pool, 3)
                        if many
                        else rng.sample(pool, rng.randint(1, 3))
                    )
                    size = len(chosen)
                    assign_emails(services, current, chosen)
                    done["assign" if size < SEATS_PER_TRANSACTION else "assign many"] += 1
                elif choice < 0.6 and held:
                    seats.unassign(services, current, rng.choice(held), actor=ACTOR)
                    done["unassign"] += 1
                elif choice < 0.8 and held:
                    seats.reassign(
                        services, current, rng.choice(held), rng.choice(pool), actor=ACTOR
                    )
                    done["reassign"] += 1
                else:
                    set_quantity(services, subscription.id, rng.randint(100, 160))
                    done["quantity"] += 1
            except (Conflict, NotFound) as refused:
                done["refused " + refused.code] += 1  # refused as a whole
            except HttpResponseError as error:
                if error.status_code != 412:
                    raise
                done["quantity lost a race"] += 1
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
                raise

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {"assign", "assign many", "unassign", "reassign", "quantity"} <= set(done), done
    assert_consistent(services, subscription.id)
    reconcile(services)
    assert lookup_emails(services, subscription.id) == seat_emails(services, subscription.id)
    assert reconcile(services).written == 0
