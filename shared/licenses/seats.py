"""Assigning, unassigning, relabelling and reassigning seats.

The subscription's partition guards the invariant: the record's `assigned` count equals the
seat rows and never exceeds the quantity. Every change to seats is a transaction that also
replaces the record under the ETag it was read with, so two requests racing for the last seat
cannot both win.

An assignment of up to 49 addresses is one transaction: the record (assigned += n), the seat
rows, a welcome email's outbox row per seat, and the activity row. Azure allows 100
operations per transaction, so 1,000 addresses take 21. They stay all or nothing this way:

1. **Reserve.** The first transaction replaces the record under its ETag with
   `assigned += n` for *all* n new seats, creates a `batch|{id}` row holding
   `outstanding` = the seats counted but not yet written, and writes the first 49 seats.
   From here on no other request can take those seats: the count already holds them.
2. **Fill.** Each further transaction writes 49 seats and their outbox rows and lowers the
   batch row's `outstanding` under the batch row's ETag (taken from the previous response).
3. **Commit.** The last transaction writes the last seats, the activity row, and deletes the
   batch row under its ETag. The assignment exists from this moment.

At every commit point `assigned == seat rows + Σ outstanding of open batch rows`; with no batch
open (at rest) that is the invariant itself. Until the commit, the welcome emails are held
(`not_before` is EMAIL_HOLD ahead, so the outbox sweep leaves them alone) and no look-up row is
written, so the add-in never sees a seat that may yet vanish.

Its seats are marked `staged`. Another request that finds such a seat among the addresses it
assigns waits (retries) while that batch row exists, rather than report as "already assigned"
a seat that may yet be rolled back.

When any of these transactions fails, the request rolls the batch back: each step deletes
some of the batch's rows (seats and held outbox rows carry `batch`) and gives their count,
and any still `outstanding`, back to the record, in one transaction guarded by the record's and
the batch row's ETags, so the equation above holds after every step; the last step deletes the
batch row. A request that dies outright leaves its batch row behind: the reconciliation rolls
back any batch open for longer than BATCH_TIMEOUT (longer than a request can live). Rollback and
a late request cannot both win: each step changes the batch row's ETag, which the request's
next transaction needs, and the commit deletes the batch row, after which rollback finds
nothing to undo. Seats of an open batch can be unassigned or reassigned like others; each of
those is one transaction that keeps the equation too.

After the commit come the writes that live in other partitions and may fail without harm: the
look-up rows (repaired by the reconciliation) and the emails' queue messages (the outbox sweep
re-sends what was never enqueued).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode

from shared.email.outbox import OutboxEntry, enqueue, outbox_row
from shared.errors import Conflict, NotFound, Problem, field_error
from shared.licenses.lookup import after_seat_change
from shared.licenses.model import (
    BATCH_PREFIX,
    SEAT_COLUMNS,
    odata,
    seat_entity,
    seat_key,
)
from shared.licenses.sync import mark_dirty, request_email_release
from shared.services import Services
from shared.storage.keys import encode_key
from shared.subscriptions.activity import activity_row
from shared.subscriptions.limits import require_working, spend_emails, utc_day
from shared.subscriptions.model import SEAT_PREFIX, Subscription
from shared.subscriptions.store import (
    MAX_TRANSACTION_OPERATIONS,
    ConcurrentChange,
    Operation,
    get_subscription,
    record_update,
    retry_on_conflict,
    submit,
    subscriptions_table,
)

logger = logging.getLogger(__name__)

# Each new seat takes two operations (the seat and its welcome email's outbox row); the
# record and the batch row (or the activity row) take the other two of a transaction's 100.
SEATS_PER_TRANSACTION = (MAX_TRANSACTION_OPERATIONS - 2) // 2
# Up to this many welcome emails are enqueued by the request itself; more are handed to the
# `licensesync` queue in one message, since each queue message is a request of its own.
DIRECT_ENQUEUE_LIMIT = 5
# Welcome emails of an assignment still being written wait this long before the outbox sweep
# may send them; the commit releases them at once. Far longer than BATCH_TIMEOUT plus a
# reconciliation cycle, so a batch that is rolled back never has its emails sent.
EMAIL_HOLD = timedelta(minutes=30)
# A batch row older than this belongs to a request that died (functionTimeout is 5 minutes).
BATCH_TIMEOUT = timedelta(minutes=6)
# The Table service refuses a filter of more than 15 comparisons; existing seats are named in
# the filter up to this many addresses, read by key range alone beyond
# (https://learn.microsoft.com/rest/api/storageservices/querying-tables-and-entities).
MAX_KEYS_IN_FILTER = 12
# Every seat another request takes makes our read stale once; a request racing many others for
# the last seats may lose more often than the default allows before the seats run out.
ASSIGN_RETRIES = 16
WELCOME_TEMPLATE = "welcome"
AUTO_ASSIGN_ACTOR = "auto-assign"
# `unassigned|{encoded email}`: the last day (UTC) the address lost its license. An address
# gets at most one welcome email a day from a subscription: one assigned again on the day it
# was unassigned (or reassigned away) gets its license without a second email.
UNASSIGNED_PREFIX = "unassigned|"


def unassigned_key(email: str) -> str:
    return UNASSIGNED_PREFIX + encode_key(email)


def _unassigned_marker(subscription_id: str, email: str, today: str) -> Operation:
    return (
        "upsert",
        {"PartitionKey": subscription_id, "RowKey": unassigned_key(email), "day": today},
        {"mode": UpdateMode.REPLACE},
    )


def welcomed_today(
    services: Services, subscription: Subscription, emails: Sequence[str], now: datetime
) -> set[str]:
    """Those of the addresses that lost a license of the subscription today, and so had their
    welcome email already: no request at all unless an address was unassigned today."""
    today = utc_day(now)
    if not emails or subscription.unassigned_day != today:
        return set()
    keys = sorted({unassigned_key(email) for email in emails})
    rows = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(subscription.id)} and RowKey ge {odata(keys[0])} "
        f"and RowKey le {odata(keys[-1])} and day eq {odata(today)}",
        select=["RowKey"],
        results_per_page=1000,
    )
    found = {row["RowKey"] for row in rows}
    return {email for email in emails if unassigned_key(email) in found}


@dataclass(frozen=True)
class Requested:
    """One address to assign, with the label it should carry."""

    email: str
    label: str | None = None
    shared_mailbox: bool = False


@dataclass
class Assignment:
    """What an assignment did: the subscription after it, and the seats it found or made."""

    subscription: Subscription
    assigned: list[dict[str, Any]] = field(default_factory=list)
    already_assigned: list[Any] = field(default_factory=list)


def assign(
    services: Services,
    subscription: Subscription,
    requested: Sequence[Requested],
    *,
    actor: str,
    assigned_by: str | None = None,
    action: str = "licenses_assigned",
) -> Assignment:
    """Assign seats to the addresses, all or nothing; see the module's docstring.

    `subscription` is the record the caller authorized against; it is used for the first
    try, and read again after a conflict.
    """
    fresh: list[Subscription] = [subscription]

    def attempt() -> tuple[Assignment, list[OutboxEntry], bool]:
        current = fresh.pop() if fresh else get_subscription(services, subscription.id)
        return _assign_once(services, current, requested, actor, assigned_by or actor, action)

    outcome, entries, held = retry_on_conflict(attempt, retries=ASSIGN_RETRIES)
    if outcome.assigned:
        after_seat_change(
            services,
            outcome.subscription,
            added=[seat["email"] for seat in outcome.assigned],
            shared_mailboxes={s["email"] for s in outcome.assigned if s.get("shared_mailbox")},
        )
        if len(entries) <= DIRECT_ENQUEUE_LIMIT and not held:
            enqueue(services, entries)
        else:
            request_email_release(services, subscription.id, outcome.assigned[0]["batch"])
    return outcome


def _assign_once(
    services: Services,
    subscription: Subscription,
    requested: Sequence[Requested],
    actor: str,
    assigned_by: str,
    action: str,
) -> tuple[Assignment, list[OutboxEntry], bool]:
    require_working(subscription, "assign licenses")
    unique: dict[str, Requested] = {}
    for item in requested:
        unique.setdefault(item.email, item)
    existing = existing_seats(services, subscription, list(unique)) if subscription.assigned else {}
    _wait_for_open_batches(services, subscription.id, existing.values())
    new = [item for email, item in unique.items() if email not in existing]
    if len(new) > subscription.available:
        raise Conflict(
            f"{len(new)} new licenses requested but {subscription.available} seats are free",
            code="not_enough_seats",
            available=subscription.available,
            requested=len(new),
        )

    now = services.clock()
    batch = uuid.uuid4().hex
    held = len(new) > SEATS_PER_TRANSACTION
    seats = [
        seat_entity(
            subscription.id,
            item.email,
            label=item.label,
            assigned_at=now,
            assigned_by=actor,
            batch=batch,
            shared_mailbox=item.shared_mailbox,
        )
        for item in new
    ]
    if held:
        for seat in seats:
            seat["staged"] = True
    welcomed = welcomed_today(services, subscription, [item.email for item in new], now)
    outbox: list[dict[str, Any] | None] = []
    entries: list[OutboxEntry] = []
    for item in new:
        if item.email in welcomed:
            outbox.append(None)
            continue
        entity, entry = _welcome(subscription, item.email, assigned_by, now, batch)
        if held:
            entity["not_before"] = now + EMAIL_HOLD
        outbox.append(entity)
        entries.append(entry)

    # Later occurrences of an address in the request are reported with the seat made for it.
    made = {seat["email"]: seat for seat in seats}
    already: list[Any] = []
    seen: set[str] = set()
    for item in requested:
        if item.email in existing:
            already.append(existing[item.email])
        elif item.email in seen:
            already.append(made[item.email])
        seen.add(item.email)

    if not new:
        return Assignment(subscription, seats, already), [], False
    updated = spend_emails(
        subscription.with_changes(assigned=subscription.assigned + len(new)), len(entries), now
    )
    outcome = Assignment(updated, seats, already)
    activity: Operation = (
        "create",
        activity_row(
            subscription.id,
            at=now,
            actor=actor,
            action=action,
            target=new[0].email if len(new) == 1 else f"{len(new)} licenses",
            detail=_summary(new),
        ),
    )
    per_seat: list[list[Operation]] = [
        [("create", seat)] + ([("create", entity)] if entity is not None else [])
        for seat, entity in zip(seats, outbox, strict=True)
    ]
    if not held:
        operations = [operation for group in per_seat for operation in group]
        submit(services, [record_update(updated), *operations, activity])
    else:
        _write_batch(services, subscription, updated, per_seat, activity, batch, now, actor)
    return outcome, entries, held


def _wait_for_open_batches(services: Services, subscription_id: str, seats: Any) -> None:
    """A seat written by another assignment that has not committed yet may still vanish; it
    cannot be reported as already assigned until that assignment has committed."""
    table = subscriptions_table(services)
    for batch in {seat["batch"] for seat in seats if seat.get("staged")}:
        try:
            table.get_entity(subscription_id, BATCH_PREFIX + batch, select=["RowKey"])
        except ResourceNotFoundError:
            continue  # committed (or rolled back, and then its seats are gone too)
        raise ConcurrentChange("another assignment of these addresses is still being written")


def _summary(new: Sequence[Requested]) -> str:
    labels = sorted({item.label for item in new if item.label})
    text = ", ".join(item.email for item in new)
    if labels:
        text = f"label {', '.join(labels)}: {text}"
    return text if len(text) <= 1000 else text[:997] + "..."


def _write_batch(
    services: Services,
    subscription: Subscription,
    updated: Subscription,
    per_seat: list[list[Operation]],
    activity: Operation,
    batch: str,
    now: datetime,
    actor: str,
) -> None:
    """Reserve, fill and commit an assignment that needs more than one transaction.

    `per_seat` holds each seat's operations: the seat, and its welcome email unless held
    back."""
    step = SEATS_PER_TRANSACTION
    chunks = [per_seat[start : start + step] for start in range(0, len(per_seat), step)]
    groups = [[operation for seat in chunk for operation in seat] for chunk in chunks]
    total = len(per_seat)
    outstanding = total - len(chunks[0])
    keys = {"PartitionKey": subscription.id, "RowKey": BATCH_PREFIX + batch}
    batch_row = {**keys, "outstanding": outstanding, "total": total, "started_at": now}
    batch_row["actor"] = actor
    # Recorded first, so that a request dying mid-way leaves the reconciliation a note.
    mark_dirty(services, subscription.id)
    try:
        # Reserve. When this is refused nothing was written and the rollback below finds
        # nothing; when only its answer was lost, the rollback undoes what it wrote.
        results = submit(services, [record_update(updated), ("create", batch_row), *groups[0]])
        etag = results[1]["etag"]
        for chunk, group in zip(chunks[1:], groups[1:], strict=True):
            outstanding -= len(chunk)
            guard = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
            if outstanding:
                change: Operation = (
                    "update",
                    {**batch_row, "outstanding": outstanding},
                    {"mode": UpdateMode.REPLACE, **guard},
                )
                etag = submit(services, [change, *group])[0]["etag"]
            else:
                submit(services, [("delete", keys, guard), *group, activity])
    except TableTransactionError as error:
        _abandon(services, subscription.id, batch)
        if error.status_code == 404:  # the batch row is gone: someone rolled it back
            raise ConcurrentChange("batch rolled back") from None
        raise
    except Exception:
        _abandon(services, subscription.id, batch)
        raise


def _abandon(services: Services, subscription_id: str, batch: str) -> None:
    try:
        if rollback_batch(services, subscription_id, batch):
            logger.warning("assignment %s of %s failed and was rolled back", batch, subscription_id)
    except (AzureError, Problem):
        logger.exception("rolling back %s failed; reconciliation will", batch)


def rollback_batch(services: Services, subscription_id: str, batch: str) -> bool:
    """Undo an uncommitted assignment step by step; False when it had committed (or was undone).

    Safe to run from several places at once: each step is guarded by the record's and the
    batch row's ETags, and a lost step is simply read again.
    """
    table = subscriptions_table(services)
    keys = {"PartitionKey": subscription_id, "RowKey": BATCH_PREFIX + batch}
    undid = False
    for _ in range(1000):
        try:
            batch_row = table.get_entity(subscription_id, keys["RowKey"])
        except ResourceNotFoundError:
            return undid
        subscription = get_subscription(services, subscription_id)
        rows = list(
            islice(
                table.query_entities(
                    f"PartitionKey eq {odata(subscription_id)} and batch eq {odata(batch)}",
                    select=["PartitionKey", "RowKey"],
                ),
                MAX_TRANSACTION_OPERATIONS - 2,
            )
        )
        seats = sum(1 for row in rows if row["RowKey"].startswith(SEAT_PREFIX))
        outstanding = int(batch_row.get("outstanding", 0))
        guard = {
            "etag": batch_row.metadata["etag"],
            "match_condition": MatchConditions.IfNotModified,
        }
        operations: list[Operation] = [("delete", row) for row in rows]
        if seats or outstanding:
            given_back = subscription.assigned - seats - outstanding
            operations.append(record_update(subscription.with_changes(assigned=given_back)))
        if rows:
            closing = {**keys, "outstanding": 0, "total": batch_row.get("total", 0)}
            closing["rolling_back"] = True
            operations.append(("update", closing, {"mode": UpdateMode.REPLACE, **guard}))
        else:
            operations.append(("delete", keys, guard))
        try:
            submit(services, operations)
        except ConcurrentChange:
            continue
        except TableTransactionError as error:
            if error.status_code == 404:  # a row went meanwhile (unassigned, say): read again
                continue
            raise
        undid = True
        if not rows:
            logger.warning("rolled back assignment %s of %s", batch, subscription_id)
            return True
    raise Conflict(
        "could not roll the assignment back; reconciliation will", code="concurrent_change"
    )


def existing_seats(
    services: Services, subscription: Subscription, emails: Sequence[str]
) -> dict[str, Any]:
    """The seat rows of those addresses that exist, by address, in one request.

    One address is a point read. More are one key range, from the first address's key to the
    last's; up to MAX_KEYS_IN_FILTER of them are also named in the filter, so only their rows
    come back. (The range is what the Table service seeks on: an `or` of keys alone would
    make it scan the whole partition, outbox and activity rows included.)
    """
    if not emails:
        return {}
    columns = [*SEAT_COLUMNS, "batch", "staged"]
    table = subscriptions_table(services)
    keys = sorted({seat_key(email) for email in emails})
    if len(keys) == 1:
        try:
            row = table.get_entity(subscription.id, keys[0], select=columns)
        except ResourceNotFoundError:
            return {}
        return {row["email"]: row}
    query = (
        f"PartitionKey eq {odata(subscription.id)} "
        f"and RowKey ge {odata(keys[0])} and RowKey le {odata(keys[-1])}"
    )
    if len(keys) <= MAX_KEYS_IN_FILTER:
        query += " and (" + " or ".join(f"RowKey eq {odata(key)}" for key in keys) + ")"
    wanted = set(emails)
    rows = table.query_entities(query, select=columns, results_per_page=1000)
    return {row["email"]: row for row in rows if row["email"] in wanted}


def get_seat(services: Services, subscription_id: str, email: str) -> Any:
    try:
        return subscriptions_table(services).get_entity(subscription_id, seat_key(email))
    except ResourceNotFoundError:
        raise NotFound("this address holds no license of the subscription") from None


def _welcome(
    subscription: Subscription, email: str, assigned_by: str, now: datetime, batch: str
) -> tuple[dict[str, Any], OutboxEntry]:
    """The welcome email's outbox row, tagged with the change that writes it."""
    entity, entry = outbox_row(
        subscription.id,
        to=email,
        template=WELCOME_TEMPLATE,
        params={"email": email, "subscription_name": subscription.name, "assigned_by": assigned_by},
        now=now,
    )
    entity["batch"] = batch
    return entity, entry


def unassign(services: Services, subscription: Subscription, email: str, *, actor: str) -> None:
    """Free the address's seat: the seat row and the count go in one transaction."""
    fresh: list[Subscription] = [subscription]

    def attempt() -> Subscription:
        current = fresh.pop() if fresh else get_subscription(services, subscription.id)
        now = services.clock()
        updated = current.with_changes(
            assigned=max(current.assigned - 1, 0), unassigned_day=utc_day(now)
        )
        operations: list[Operation] = [
            ("delete", {"PartitionKey": current.id, "RowKey": seat_key(email)}),
            record_update(updated),
            _unassigned_marker(current.id, email, utc_day(now)),
            (
                "create",
                activity_row(
                    current.id,
                    at=now,
                    actor=actor,
                    action="license_unassigned",
                    target=email,
                ),
            ),
        ]
        try:
            submit(services, operations)
        except TableTransactionError as error:
            if error.status_code == 404:
                raise NotFound("this address holds no license of the subscription") from None
            raise
        return updated

    # Recorded before the commit: a process that dies between the seat's removal and the
    # look-up's must not leave the license reported until the daily sweep.
    mark_dirty(services, subscription.id, [email])
    updated = retry_on_conflict(attempt)
    after_seat_change(services, updated, removed=[email])


def relabel(
    services: Services,
    subscription: Subscription,
    email: str,
    label: str | None,
    *,
    actor: str,
    change_label: bool = True,
    shared_mailbox: bool | None = None,
) -> Any:
    """Set or clear the seat's label (when `change_label`) and its shared-mailbox mark (when
    not None); returns the seat as it is now."""
    if not change_label and shared_mailbox is None:
        return get_seat(services, subscription.id, email)

    def attempt() -> Any:
        seat = get_seat(services, subscription.id, email)
        change: dict[str, Any] = {"PartitionKey": seat["PartitionKey"], "RowKey": seat["RowKey"]}
        details: list[str] = []
        if change_label:
            seat["label"] = change["label"] = label or ""
            details.append(label or "(no label)")
        if shared_mailbox is not None:
            seat["shared_mailbox"] = change["shared_mailbox"] = shared_mailbox
            details.append("shared mailbox" if shared_mailbox else "not a shared mailbox")
        operations: list[Operation] = [
            (
                "update",
                change,
                {
                    "mode": UpdateMode.MERGE,
                    "etag": seat.metadata["etag"],
                    "match_condition": MatchConditions.IfNotModified,
                },
            ),
            (
                "create",
                activity_row(
                    subscription.id,
                    at=services.clock(),
                    actor=actor,
                    action="license_labelled" if change_label else "license_changed",
                    target=email,
                    detail="; ".join(details),
                ),
            ),
        ]
        try:
            submit(services, operations)
        except TableTransactionError as error:
            if error.status_code == 404:
                raise NotFound("this address holds no license of the subscription") from None
            raise
        return seat

    seat = retry_on_conflict(attempt)
    if shared_mailbox is not None and not seat.get("staged"):
        # The check reads the mark from the look-up row; a seat still being written gets its
        # row when its assignment commits.
        after_seat_change(
            services,
            subscription,
            added=[email],
            shared_mailboxes={email} if shared_mailbox else set(),
        )
    return seat


def reassign(
    services: Services,
    subscription: Subscription,
    old: str,
    new: str,
    *,
    actor: str,
    assigned_by: str | None = None,
) -> dict[str, Any]:
    """Move the seat from one address to another in one transaction; returns the new seat."""
    if old == new:
        raise field_error("email", "this address already holds the license")
    fresh: list[Subscription] = [subscription]

    def attempt() -> tuple[Subscription, dict[str, Any], OutboxEntry | None]:
        current = fresh.pop() if fresh else get_subscription(services, subscription.id)
        require_working(current, "reassign licenses")
        seats = existing_seats(services, current, [old, new])
        if old not in seats:
            raise NotFound("this address holds no license of the subscription")
        if new in seats:
            raise Conflict("the new address already holds a license", code="already_assigned")
        previous = seats[old]
        now = services.clock()
        request = uuid.uuid4().hex
        # The label moves with the seat; the shared-mailbox mark does not: it says what the
        # old address is, and is set again for a new one only by choice.
        seat = seat_entity(
            current.id,
            new,
            label=previous.get("label") or None,
            assigned_at=now,
            assigned_by=actor,
            batch=request,
        )
        welcome: list[Operation] = []
        entry: OutboxEntry | None = None
        if not welcomed_today(services, current, [new], now):
            entity, entry = _welcome(current, new, assigned_by or actor, now, request)
            welcome.append(("create", entity))
        updated = spend_emails(current.with_changes(unassigned_day=utc_day(now)), len(welcome), now)
        operations: list[Operation] = [
            (
                "delete",
                {"PartitionKey": current.id, "RowKey": previous["RowKey"]},
                {
                    "etag": previous.metadata["etag"],
                    "match_condition": MatchConditions.IfNotModified,
                },
            ),
            ("create", seat),
            # The count does not change; the record's ETag orders this against other changes.
            record_update(updated),
            _unassigned_marker(current.id, old, utc_day(now)),
            *welcome,
            (
                "create",
                activity_row(
                    current.id,
                    at=now,
                    actor=actor,
                    action="license_reassigned",
                    target=old,
                    detail=f"to {new}",
                ),
            ),
        ]
        try:
            submit(services, operations)
        except TableTransactionError as error:
            if error.status_code == 404:  # the old seat went meanwhile: read again
                raise ConcurrentChange("seat gone") from None
            raise
        return updated, seat, entry

    mark_dirty(services, subscription.id, [old, new])  # before the commit, as in unassign
    current, seat, entry = retry_on_conflict(attempt)
    after_seat_change(services, current, added=[new], removed=[old])
    if entry is not None:
        enqueue(services, [entry])
    return seat
