"""The move protocol across a crash: every write of a move fails in turn, refused or with its
answer lost; the users stay licensed and, after the reconciliation, every license is in
exactly one of the two subscriptions, counted once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.data.tables import TableClient

from shared.errors import Conflict
from shared.licenses.lookup import lookup_table
from shared.licenses.model import lookup_key
from shared.licenses.move import move_licenses, open_moves
from shared.licenses.reconcile import MARKER_GRACE, reconcile
from shared.licenses.seats import BATCH_TIMEOUT
from shared.services import Services
from shared.subscriptions.model import Subscription
from shared.subscriptions.store import get_subscription
from tests.conftest import Clock
from tests.factories import make_subscription
from tests.shared.licenses.helpers import (
    ACTOR,
    addresses,
    assert_consistent,
    assign_emails,
    lookup_emails,
    seat_emails,
)

WRITES = ("submit_transaction", "upsert_entity", "delete_entity", "create_entity", "update_entity")


class Injected(ServiceRequestError):
    """The failure a test injects (a connection that broke)."""


class InjectedExists(ResourceExistsError):
    """What the SDK's own retry of a write whose answer was lost gets: the rows exist."""


REFUSED, LOST, RETRIED = "refused", "answer-lost", "retried"


class Writes:
    """Counts the table writes made while active; fails the one numbered `fail_at`: before it
    reaches storage (REFUSED), after it (LOST: it happened, its answer was lost), or after it
    as a retry of it would (RETRIED: 409); calls `watch` before each write."""

    def __init__(self, fail_at: int | None = None, *, mode: str = REFUSED) -> None:
        self.fail_at = fail_at
        self.mode = mode
        self.count = 0
        self.failed = False
        self.watch: Callable[[], None] | None = None
        self._inside = False

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def write(client: TableClient, *args: Any, **kwargs: Any) -> Any:
            if self._inside:
                return original(client, *args, **kwargs)
            self._inside = True
            try:
                if self.watch is not None:
                    self.watch()
            finally:
                self._inside = False
            self.count += 1
            if self.count == self.fail_at:
                self.failed = True
                if self.mode == REFUSED:
                    raise Injected("injected: refused")
                original(client, *args, **kwargs)
                if self.mode == RETRIED:
                    raise InjectedExists("injected: the retry found the rows")
                raise Injected("injected: answer lost")
            return original(client, *args, **kwargs)

        return write


@contextmanager
def writes_through(monkeypatch: pytest.MonkeyPatch, writes: Writes) -> Iterator[Writes]:
    with monkeypatch.context() as patch:
        for name in WRITES:
            patch.setattr(TableClient, name, writes.wrap(getattr(TableClient, name)))
        yield writes


def licensed_somewhere(services: Services, email: str, ids: tuple[str, str]) -> bool:
    """What the license check reads: a look-up row of either subscription."""
    for subscription_id in ids:
        try:
            lookup_table(services).get_entity(*lookup_key(email, subscription_id))
        except ResourceNotFoundError:
            continue
        return True
    return False


def setup(services: Services, count: int) -> tuple[Subscription, Subscription, list[str]]:
    source = make_subscription(services, quantity=count + 2, name="Shared")
    target = make_subscription(services, quantity=count, name="Northwind")
    emails = addresses(count, "northwind.com")
    assign_emails(services, source, emails, "Northwind")
    return get_subscription(services, source.id), target, emails


def attempt_move(
    services: Services, source: Subscription, target: Subscription, emails: list[str]
) -> None:
    try:
        move_licenses(
            services,
            get_subscription(services, source.id),
            get_subscription(services, target.id),
            emails=emails,
            actor=ACTOR,
        )
    except (Injected, InjectedExists, Conflict):
        pass


def writes_of_a_move(monkeypatch: pytest.MonkeyPatch, services: Services, count: int) -> int:
    source, target, emails = setup(services, count)
    with writes_through(monkeypatch, Writes()) as writes:
        attempt_move(services, source, target, emails)
    assert seat_emails(services, target.id) == set(emails)
    return writes.count


# 3 seats: one transaction in the target; 60: reserve and commit, and two releases.
@pytest.mark.parametrize("count", [3, 60])
def test_every_user_holds_a_license_and_no_count_exceeds_its_quantity_at_every_write(
    monkeypatch: pytest.MonkeyPatch, services: Services, count: int
) -> None:
    source, target, emails = setup(services, count)
    ids = (source.id, target.id)
    seen = 0

    def watch() -> None:
        nonlocal seen
        seen += 1
        for email in (emails[0], emails[-1]):
            assert licensed_somewhere(services, email, ids), (seen, email)
        for subscription_id in ids:
            record = get_subscription(services, subscription_id)
            assert record.assigned <= record.quantity

    writes = Writes()
    writes.watch = watch
    with writes_through(monkeypatch, writes):
        attempt_move(services, source, target, emails)
    assert seen > 5
    assert seat_emails(services, target.id) == set(emails)
    assert lookup_emails(services, source.id) == set()


@pytest.mark.parametrize("mode", [REFUSED, LOST, RETRIED])
@pytest.mark.parametrize("count", [3, 60])
def test_a_move_failing_at_each_write_in_turn_is_completed_or_undone_by_the_reconciliation(
    monkeypatch: pytest.MonkeyPatch, services: Services, clock: Clock, count: int, mode: str
) -> None:
    total = writes_of_a_move(monkeypatch, services, count)
    assert total >= 6
    outcomes: set[str] = set()
    for fail_at in range(1, total + 1):
        source, target, emails = setup(services, count)
        ids = (source.id, target.id)
        with writes_through(monkeypatch, Writes(fail_at, mode=mode)) as writes:
            attempt_move(services, source, target, emails)
        assert writes.failed, fail_at
        # Right after the failure: nobody lost the license, no count beyond its quantity.
        assert all(licensed_somewhere(services, email, ids) for email in emails), fail_at
        for subscription_id in ids:
            record = get_subscription(services, subscription_id)
            assert record.assigned <= record.quantity, fail_at

        clock.advance(BATCH_TIMEOUT + MARKER_GRACE)
        reconcile(services, max_sweep_steps=0)
        reconcile(services, max_sweep_steps=0)

        in_source, in_target = seat_emails(services, source.id), seat_emails(services, target.id)
        # All or nothing, each license exactly once.
        assert (in_source, in_target) in ((set(), set(emails)), (set(emails), set())), fail_at
        outcomes.add("moved" if in_target else "stayed")
        for subscription_id, seats in ((source.id, in_source), (target.id, in_target)):
            assert assert_consistent(services, subscription_id).assigned == len(seats), fail_at
            assert lookup_emails(services, subscription_id) == seats, fail_at
        assert open_moves(services, source.id) == [], fail_at
    # Early failures undo the move, late ones complete it.
    assert outcomes == {"moved", "stayed"}


def test_a_move_still_running_is_left_alone_by_the_reconciliation(
    monkeypatch: pytest.MonkeyPatch, services: Services, clock: Clock
) -> None:
    source, target, emails = setup(services, 3)
    # Fails the target's transaction: the intent is written, the target untouched.
    with writes_through(monkeypatch, Writes(3)) as writes:
        attempt_move(services, source, target, emails)
    assert writes.failed
    assert len(open_moves(services, source.id)) == 1
    clock.advance(timedelta(minutes=1))
    reconcile(services, max_sweep_steps=0)
    assert len(open_moves(services, source.id)) == 1
    assert seat_emails(services, source.id) == set(emails)
    clock.advance(BATCH_TIMEOUT)
    reconcile(services, max_sweep_steps=0)
    assert open_moves(services, source.id) == []
    assert seat_emails(services, source.id) == set(emails)
    assert seat_emails(services, target.id) == set()
