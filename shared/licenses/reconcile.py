"""The reconciliation (timer): makes the license look-up agree with the seats, finishes what
dead requests left behind, and checks each subscription's count. Idempotent.

Its work grows with what changed, not with what is stored:

1. the work list (`shared.licenses.sync`, partition `~licensesync` of the look-up): every
   change whose look-up write or sync message failed recorded its subscription or address
   there; each is repaired and its marker deleted under the ETag it was read with, so a
   marker written again meanwhile stays for the next cycle;
2. a full sweep as a backstop, once a day, one partition (or one page of a look-up
   partition) per step, its position kept in the row `~sweep/state` so that the next
   invocation resumes where this one stopped: first every subscription partition (open
   assignments older than BATCH_TIMEOUT rolled back, moves out of it older than that
   finished or undone (`shared.licenses.move`), the look-up rows of its committed seats
   written, the count corrected, activity older than ACTIVITY_RETENTION_DAYS deleted), then
   every look-up partition (rows whose seat or whose auto-assign domain is gone deleted).
   Each query names its PartitionKey, or a range of them to find the next partition.

A stale look-up row is deleted only under the ETag it was read with, after its seat was found
missing: a row written after that read is newer news. A count is corrected under the ETag of
the record read before the seats (any seat change since also changed the record).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.errors import NotFound
from shared.licenses.lookup import delete_if_unchanged, lookup_table, upsert_lookups
from shared.licenses.model import (
    AUTO_PREFIX,
    BATCH_PREFIX,
    BATCH_RANGE,
    SEAT_RANGE,
    auto_entity,
    day,
    email_of_lookup,
    lookup_entity,
    lookup_key,
    odata,
    seat_key,
)
from shared.licenses.move import resume_moves
from shared.licenses.seats import BATCH_TIMEOUT, rollback_batch
from shared.licenses.sync import WORK_PARTITION, parse_work_key
from shared.services import Services
from shared.storage.keys import decode_key
from shared.subscriptions.activity import activity_row
from shared.subscriptions.model import (
    ACTIVITY_PREFIX,
    RECORD_ROW,
    Subscription,
    prefix_upper_bound,
)
from shared.subscriptions.store import (
    MAX_TRANSACTION_OPERATIONS,
    ConcurrentChange,
    get_subscription,
    record_update,
    submit,
    subscriptions_table,
)

logger = logging.getLogger(__name__)

COMPARED = ("status", "subscription", "expires_at", "tenant_id", "shared_mailbox")
SWEEP_PARTITION = "~sweep"
SWEEP_ROW = "state"
SWEEP_INTERVAL = timedelta(days=1)
# The timer fires every 5 minutes; a step (one partition, one page) fits well inside this.
INVOCATION_BUDGET_SECONDS = 45.0
MAX_MARKERS_PER_CYCLE = 1000
PAGE = 1000
# Partitions whose key starts with '~' are the look-up's own bookkeeping, never a domain.
_BOOKKEEPING = "~"


class Phase:
    IDLE = "idle"
    SUBSCRIPTIONS = "subscriptions"
    LOOKUP = "lookup"


@dataclass
class Report:
    written: int = 0
    deleted: int = 0
    rolled_back: int = 0
    moves_resumed: int = 0
    counts_corrected: int = 0
    markers: int = 0
    sweep_steps: int = 0
    activity_expired: int = 0
    sweep_finished: bool = False


def reconcile(
    services: Services,
    *,
    budget_seconds: float = INVOCATION_BUDGET_SECONDS,
    max_sweep_steps: int | None = None,
) -> Report:
    deadline = time.monotonic() + budget_seconds
    report = Report()
    _work_list(services, report)
    _sweep(services, report, deadline, max_sweep_steps)
    if (
        report.written
        or report.deleted
        or report.rolled_back
        or report.moves_resumed
        or report.counts_corrected
    ):
        logger.info("license reconciliation: %s", report)
    return report


def start_full_sweep(services: Services) -> None:
    """Make the next cycle begin a full sweep from the first partition."""
    lookup_table(services).upsert_entity(
        {"PartitionKey": SWEEP_PARTITION, "RowKey": SWEEP_ROW, "phase": Phase.SUBSCRIPTIONS},
        mode=UpdateMode.REPLACE,
    )


def full_sweep(services: Services) -> Report:
    """A whole sweep now, to its end (operators and tests; the timer goes step by step)."""
    start_full_sweep(services)
    total = Report()
    while not total.sweep_finished:
        report = reconcile(services, budget_seconds=3600.0)
        for name in (
            "written",
            "deleted",
            "rolled_back",
            "moves_resumed",
            "counts_corrected",
            "sweep_steps",
            "activity_expired",
        ):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.sweep_finished = report.sweep_finished
    return total


# --- the work list -------------------------------------------------------------------------


def _work_list(services: Services, report: Report) -> None:
    table = lookup_table(services)
    markers = islice(
        table.query_entities(
            "PartitionKey eq @pk", parameters={"pk": WORK_PARTITION}, results_per_page=PAGE
        ),
        MAX_MARKERS_PER_CYCLE,
    )
    by_subscription: dict[str, list[tuple[str | None, Any]]] = defaultdict(list)
    for marker in markers:
        subscription_id, email = parse_work_key(marker["RowKey"])
        by_subscription[subscription_id].append((email, marker))
    for subscription_id, items in by_subscription.items():
        done = True
        if any(email is None for email, _ in items):
            done = repair_subscription(services, subscription_id, report)
        subscription = _subscription_or_none(services, subscription_id)
        pending = _open_batches(services, subscription_id) if subscription else {}
        for email, marker in items:
            finished: str | bool = done
            if email is not None:
                finished = repair_address(services, subscription, subscription_id, email, pending)
                report.written += finished == _WRITTEN
                report.deleted += finished == _DELETED
            if finished is not False and not (
                email is not None and _may_still_be_running(services, marker)
            ):
                delete_if_unchanged(services, marker)
                report.markers += 1


# An address's marker is written before the change it guards (unassign, reassign), so it may
# be read while that change still runs: it is repaired now and kept until the change has surely
# ended (the host stops a function at functionTimeout), so a change that dies after its commit
# is repaired again. A subscription's marker needs no grace: its open batch row keeps it.
MARKER_GRACE = timedelta(minutes=5)


def _may_still_be_running(services: Services, marker: Any) -> bool:
    marked_at = marker.get("marked_at")
    return isinstance(marked_at, datetime) and services.clock() - marked_at < MARKER_GRACE


_WRITTEN = "written"
_DELETED = "deleted"


def _subscription_or_none(services: Services, subscription_id: str) -> Subscription | None:
    try:
        return get_subscription(services, subscription_id)
    except NotFound:
        return None


def _open_batches(services: Services, subscription_id: str) -> dict[str, Any]:
    rows = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(subscription_id)} and RowKey ge {odata(BATCH_RANGE[0])} "
        f"and RowKey lt {odata(BATCH_RANGE[1])}",
        select=["RowKey", "started_at"],
    )
    return {row["RowKey"][len(BATCH_PREFIX) :]: row["started_at"] for row in rows}


def repair_address(
    services: Services,
    subscription: Subscription | None,
    subscription_id: str,
    email: str,
    pending: dict[str, Any],
) -> str | bool:
    """Make one address's look-up row agree with its seat: `_WRITTEN`, `_DELETED`, True when
    it already agreed, False while its assignment is still open (the marker stays)."""
    table = lookup_table(services)
    partition_key, row_key = lookup_key(email, subscription_id)
    try:
        row: Any = table.get_entity(partition_key, row_key)
    except ResourceNotFoundError:
        row = None
    seat: Any = None
    if subscription is not None:
        try:
            seat = subscriptions_table(services).get_entity(
                subscription_id,
                seat_key(email),
                select=["email", "batch", "shared_mailbox", "last_seen_at"],
            )
        except ResourceNotFoundError:
            seat = None
    if seat is None or subscription is None:
        if row is not None and delete_if_unchanged(services, row):
            return _DELETED
        return True
    if seat.get("batch") in pending:
        return False
    seen = seat.get("last_seen_at")
    entity = lookup_entity(
        subscription,
        email,
        day(seen) if seen and row is None else None,
        shared_mailbox=bool(seat.get("shared_mailbox")),
    )
    if row is not None and all(row.get(n) == entity.get(n) for n in COMPARED):
        return True
    upsert_lookups(services, [entity])
    if row is None and _recheck(services, [entity]):
        return True
    return _WRITTEN


def repair_subscription(services: Services, subscription_id: str, report: Report) -> bool:
    """Roll back stale assignments, write the look-up rows of the committed seats and the
    auto-assign rows, correct the count. False while an assignment is still open.

    Streams the seats: memory holds one transaction's rows per domain, not the partition.
    """
    subscription = _subscription_or_none(services, subscription_id)
    if subscription is None:
        return True  # its look-up rows go in the sweep's look-up phase
    now = services.clock()
    # Moves out of this subscription whose request died: finished or undone before the count.
    moves_settled, resumed = resume_moves(services, subscription_id, now)
    report.moves_resumed += resumed
    open_batches = set()
    rolled_back = resumed > 0
    for batch_id, started_at in _open_batches(services, subscription_id).items():
        if now - started_at > BATCH_TIMEOUT:
            logger.warning(
                "assignment %s of %s was left open; rolling back", batch_id, subscription_id
            )
            if rollback_batch(services, subscription_id, batch_id):
                report.rolled_back += 1
                rolled_back = True
        else:
            open_batches.add(batch_id)
    if rolled_back:
        subscription = _subscription_or_none(services, subscription_id)
        if subscription is None:
            return True
    seats = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(subscription_id)} and RowKey ge {odata(SEAT_RANGE[0])} "
        f"and RowKey lt {odata(SEAT_RANGE[1])}",
        select=["email", "batch", "shared_mailbox"],
        results_per_page=PAGE,
    )
    count = 0
    buffer: list[dict[str, Any]] = []
    for seat in seats:
        count += 1
        if seat.get("batch") in open_batches:
            continue
        buffer.append(
            lookup_entity(
                subscription, seat["email"], shared_mailbox=bool(seat.get("shared_mailbox"))
            )
        )
        if len(buffer) >= PAGE:
            upsert_lookups(services, buffer)
            report.written += len(buffer)
            buffer = []
    buffer += [auto_entity(subscription, domain) for domain in subscription.auto_assign_domains]
    upsert_lookups(services, buffer)
    report.written += len(buffer)
    if open_batches or not moves_settled:
        return False
    if count != subscription.assigned:
        try:
            submit(services, [record_update(subscription.with_changes(assigned=count))])
        except ConcurrentChange:
            return True  # it changed since we read it: the change is news of its own
        logger.error(
            "subscription %s counted %d seats but holds %d rows; corrected",
            subscription_id,
            subscription.assigned,
            count,
        )
        report.counts_corrected += 1
    return True


def _recheck(services: Services, added: list[dict[str, Any]]) -> int:
    """Delete rows just added whose seat was removed since the seat was read."""
    table = subscriptions_table(services)
    removed = 0
    for entity in added:
        if entity["RowKey"].startswith(AUTO_PREFIX):
            continue
        email, subscription_id = email_of_lookup(entity["PartitionKey"], entity["RowKey"])
        try:
            table.get_entity(subscription_id, seat_key(email), select=["RowKey"])
        except ResourceNotFoundError:
            lookup_table(services).delete_entity(entity["PartitionKey"], entity["RowKey"])
            removed += 1
    return removed


# --- the full sweep ------------------------------------------------------------------------


def _sweep(services: Services, report: Report, deadline: float, max_steps: int | None) -> None:
    table = lookup_table(services)
    try:
        state: dict[str, Any] = dict(table.get_entity(SWEEP_PARTITION, SWEEP_ROW))
    except ResourceNotFoundError:
        state = {"phase": Phase.IDLE}
    now = services.clock()
    if state.get("phase", Phase.IDLE) == Phase.IDLE:
        finished = state.get("finished_at")
        if finished is not None and now - finished < SWEEP_INTERVAL:
            return
        state = {"phase": Phase.SUBSCRIPTIONS, "started_at": now}
    state = {"PartitionKey": SWEEP_PARTITION, "RowKey": SWEEP_ROW, **state}
    while time.monotonic() < deadline and (max_steps is None or report.sweep_steps < max_steps):
        if state["phase"] == Phase.SUBSCRIPTIONS:
            _subscription_step(services, state, report)
        else:
            _lookup_step(services, state, report)
        if state["phase"] == Phase.IDLE:
            state["finished_at"] = services.clock()
        table.upsert_entity(state, mode=UpdateMode.REPLACE)
        report.sweep_steps += 1
        if state["phase"] == Phase.IDLE:
            report.sweep_finished = True
            logger.info("full license sweep finished")
            return


def _subscription_step(services: Services, state: dict[str, Any], report: Report) -> None:
    after = state.get("after") or ""
    following = subscriptions_table(services).query_entities(
        "PartitionKey gt @after and RowKey eq @record",
        parameters={"after": after, "record": RECORD_ROW},
        select=["PartitionKey"],
        results_per_page=1,
    )
    row = next(iter(following), None)
    if row is None:
        state.update(phase=Phase.LOOKUP, after="", partition="", token="")
        return
    repair_subscription(services, row["PartitionKey"], report)
    report.activity_expired += expire_activity(services, row["PartitionKey"])
    state["after"] = row["PartitionKey"]


def expire_activity(services: Services, subscription_id: str) -> int:
    """Delete the partition's activity rows older than the retention (a key range: the keys
    invert time, so the oldest rows sort last)."""
    days = services.settings.activity_retention_days
    cutoff = services.clock() - timedelta(days=days)
    boundary = activity_row(subscription_id, at=cutoff, actor="", action="")["RowKey"]
    boundary = boundary.rpartition("|")[0] + "|"
    table = subscriptions_table(services)
    rows = table.query_entities(
        "PartitionKey eq @pk and RowKey ge @low and RowKey lt @high",
        parameters={
            "pk": subscription_id,
            "low": boundary,
            "high": prefix_upper_bound(ACTIVITY_PREFIX),
        },
        select=["PartitionKey", "RowKey"],
        results_per_page=MAX_TRANSACTION_OPERATIONS,
    )
    expired = 0
    for page in rows.by_page():
        keys = [{"PartitionKey": r["PartitionKey"], "RowKey": r["RowKey"]} for r in page]
        if keys:
            table.submit_transaction([("delete", key) for key in keys])
            expired += len(keys)
    if expired:
        logger.info(
            "deleted %d activity rows of %s older than %d days", expired, subscription_id, days
        )
    return expired


def _lookup_step(services: Services, state: dict[str, Any], report: Report) -> None:
    """One page of one look-up partition: rows whose seat or auto-assign domain is gone go."""
    table = lookup_table(services)
    partition = state.get("partition") or ""
    if not partition:
        following = table.query_entities(
            "PartitionKey gt @after and PartitionKey lt @end",
            parameters={"after": state.get("after") or "", "end": _BOOKKEEPING},
            select=["PartitionKey"],
            results_per_page=1,
        )
        row = next(iter(following), None)
        if row is None:
            state.update(phase=Phase.IDLE, after="", partition="", token="")
            return
        partition = row["PartitionKey"]
    token = json.loads(state["token"]) if state.get("token") else None
    pages = table.query_entities(
        "PartitionKey eq @pk", parameters={"pk": partition}, results_per_page=PAGE
    ).by_page(continuation_token=token)
    rows = list(next(pages, []))
    records: dict[str, Subscription | None] = {}
    for row in rows:
        if row["RowKey"].startswith(AUTO_PREFIX):
            subscription_id = row["RowKey"][len(AUTO_PREFIX) :]
            if subscription_id not in records:
                records[subscription_id] = _subscription_or_none(services, subscription_id)
            subscription = records[subscription_id]
            domains = subscription.auto_assign_domains if subscription else ()
            if decode_key(partition) not in domains and delete_if_unchanged(services, row):
                report.deleted += 1
            continue
        email, subscription_id = email_of_lookup(partition, row["RowKey"])
        try:
            subscriptions_table(services).get_entity(
                subscription_id, seat_key(email), select=["RowKey"]
            )
        except ResourceNotFoundError:
            if delete_if_unchanged(services, row):
                report.deleted += 1
    next_token = pages.continuation_token  # type: ignore[attr-defined]
    if next_token:
        state.update(partition=partition, token=json.dumps(next_token))
    else:
        state.update(after=partition, partition="", token="")
