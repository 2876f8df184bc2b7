"""Moving licenses from one subscription to another: two partitions, no common transaction.

The protocol (docs/data-model.md, "Moving licenses"):

1. **Intent.** A `move|{move id}` row in the source's partition names the target and the
   addresses. The source's subscription marker goes on the work list first, so a request
   that dies leaves the reconciliation a note.
2. **Reserve and write in the target.** The target's record takes the new seats under its
   ETag, never beyond its quantity, with the seats (label, `assigned_at`, `assigned_by` and
   the shared-mailbox mark copied, `batch` = the move id), the activity row and a receipt
   `moved|{move id}`, in one transaction; a move of more seats than one transaction holds
   uses the assignment's reserve/fill/commit with a `batch|{move id}` row, and the receipt
   comes with the commit. The receipt says the target side is done.
3. **The target's look-up rows** are written: the users now hold a working license in both.
4. **Release the source:** its seats and count go down in transactions under the record's
   ETag, then its look-up rows are deleted.
5. **Close:** the intent row goes with the source's activity row; the receipt goes after.

A request that dies leaves its intent row. The reconciliation finishes an intent older than
BATCH_TIMEOUT (no request lives that long): it rolls back the target's batch if one is still
open, then completes the move from step 3 when the receipt exists, and otherwise drops the
intent (the source was never touched). Steps 3 to 5 are idempotent, so a retried request or
the reconciliation may repeat them.

At every instant each user holds a working license in at least one of the two: the license
check reads the look-up rows, and the target's are written before the source's are deleted.
Neither subscription exceeds its quantity: the target's count is raised only under its ETag
against its free seats, and the source's only goes down.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceNotFoundError

from shared.errors import Conflict, NotFound, field_error
from shared.licenses.lookup import delete_lookups, upsert_lookups
from shared.licenses.model import (
    BATCH_PREFIX,
    MAX_ADDRESSES,
    SEAT_RANGE,
    lookup_entity,
    lookup_key,
    odata,
    seat_entity,
)
from shared.licenses.seats import (
    BATCH_TIMEOUT,
    SEATS_PER_TRANSACTION,
    _wait_for_open_batches,
    _write_batch,
    existing_seats,
    rollback_batch,
)
from shared.licenses.sync import mark_dirty
from shared.services import Services
from shared.subscriptions.activity import activity_row
from shared.subscriptions.limits import require_working
from shared.subscriptions.model import Subscription, prefix_upper_bound
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

MOVE_PREFIX = "move|"
RECEIPT_PREFIX = "moved|"
MOVE_RANGE = (MOVE_PREFIX, prefix_upper_bound(MOVE_PREFIX))
ACTION = "licenses_moved"
# A string property holds at most 32K characters; 100 addresses of at most 254 fit in one
# (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model).
EMAILS_PER_PROPERTY = 100
# Releasing: each seat's delete, plus the record.
RELEASE_PER_TRANSACTION = MAX_TRANSACTION_OPERATIONS - 1


@dataclass
class MoveOutcome:
    """The target after the move, its seats of the moved users, and addresses not held."""

    target: Subscription
    moved: list[Any] = field(default_factory=list)
    not_assigned: list[str] = field(default_factory=list)


def move_licenses(
    services: Services,
    source: Subscription,
    target: Subscription,
    *,
    emails: Sequence[str] | None = None,
    label: str | None = None,
    actor: str,
) -> MoveOutcome:
    """Move the seats of the addresses (or of the label) from source to target, all or
    nothing; see the module's docstring."""
    if target.id == source.id:
        raise field_error("to", "the licenses are already in this subscription")
    require_working(target, "move licenses into it")
    move_id = uuid.uuid4().hex
    fresh: list[Subscription] = [target]

    def attempt() -> tuple[MoveOutcome, bool]:
        current = fresh.pop() if fresh else get_subscription(services, target.id)
        require_working(current, "move licenses into it")
        found, not_assigned = _select(services, source, emails, label)
        _wait_for_open_batches(services, source.id, found.values())
        if not found:
            return MoveOutcome(current, [], not_assigned), False
        held = existing_seats(services, current, list(found)) if current.assigned else {}
        _wait_for_open_batches(services, current.id, held.values())
        new = [seat for email, seat in found.items() if email not in held]
        if len(new) > current.available:
            raise Conflict(
                f"{len(new)} licenses to move but {current.available} seats are free in "
                f"{current.name}",
                code="not_enough_seats",
                available=current.available,
                requested=len(new),
            )
        _write_intent(services, source, current, move_id, list(found), actor)
        outcome = _write_target(services, source, current, move_id, new, held, actor)
        outcome.not_assigned = not_assigned
        return outcome, True

    try:
        outcome, written = retry_on_conflict(attempt)
    except (Conflict, ConcurrentChange):
        if not _receipt_exists(services, target.id, move_id):
            # Refused before the target was written: nothing to finish.
            _drop_intent(services, source.id, move_id)
            raise
        # The target's write had committed after all (its answer was lost, its retry refused).
        outcome, written = _committed(services, target.id, move_id), True
    if written:
        finish(services, source.id, move_id)
    return outcome


def _select(
    services: Services, source: Subscription, emails: Sequence[str] | None, label: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The source's seats to move by address, and the addresses that hold none."""
    if emails is not None:
        unique = list(dict.fromkeys(emails))
        found = existing_seats(services, source, unique) if source.assigned else {}
        return {e: found[e] for e in unique if e in found}, [e for e in unique if e not in found]
    rows = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(source.id)} and RowKey ge {odata(SEAT_RANGE[0])} "
        f"and RowKey lt {odata(SEAT_RANGE[1])} and label eq {odata(label or '')}",
        results_per_page=1000,
    )
    seats = list(islice(rows, MAX_ADDRESSES + 1))
    if len(seats) > MAX_ADDRESSES:
        raise field_error(
            "label", f"more than {MAX_ADDRESSES} licenses carry this label; move them by address"
        )
    return {seat["email"]: seat for seat in seats}, []


def _intent_key(move_id: str) -> str:
    return MOVE_PREFIX + move_id


def _receipt_key(move_id: str) -> str:
    return RECEIPT_PREFIX + move_id


def _write_intent(
    services: Services,
    source: Subscription,
    target: Subscription,
    move_id: str,
    emails: list[str],
    actor: str,
) -> None:
    # Recorded first: a request that dies from here on leaves the reconciliation a note.
    mark_dirty(services, source.id)
    intent: dict[str, Any] = {
        "PartitionKey": source.id,
        "RowKey": _intent_key(move_id),
        "to": target.id,
        "to_name": target.name,
        "actor": actor,
        "started_at": services.clock(),
        "count": len(emails),
    }
    for index in range(0, len(emails), EMAILS_PER_PROPERTY):
        part = emails[index : index + EMAILS_PER_PROPERTY]
        intent[f"emails_{index // EMAILS_PER_PROPERTY}"] = "\n".join(part)
    subscriptions_table(services).upsert_entity(intent)


def intent_emails(intent: Any) -> list[str]:
    emails: list[str] = []
    for index in range(0, int(intent.get("count", 0)), EMAILS_PER_PROPERTY):
        text = intent.get(f"emails_{index // EMAILS_PER_PROPERTY}") or ""
        emails += [email for email in text.split("\n") if email]
    return emails


def _summary(emails: Sequence[str], other: str, direction: str) -> str:
    text = f"{direction} {other}: " + ", ".join(emails)
    return text if len(text) <= 1000 else text[:997] + "..."


def _write_target(
    services: Services,
    source: Subscription,
    target: Subscription,
    move_id: str,
    new: list[Any],
    held: dict[str, Any],
    actor: str,
) -> MoveOutcome:
    """Step 2: the new seats, the count, the activity row and the receipt in the target."""
    now = services.clock()
    staged = len(new) > SEATS_PER_TRANSACTION
    seats = [_copied(target.id, seat, move_id, staged) for seat in new]
    moved_emails = [seat["email"] for seat in seats] + list(held)
    activity: Operation = (
        "create",
        activity_row(
            target.id,
            at=now,
            actor=actor,
            action=ACTION,
            target=moved_emails[0] if len(moved_emails) == 1 else f"{len(moved_emails)} licenses",
            detail=_summary(moved_emails, source.name, "from"),
        ),
    )
    receipt: Operation = (
        "create",
        {"PartitionKey": target.id, "RowKey": _receipt_key(move_id), "source": source.id},
    )
    updated = target.with_changes(assigned=target.assigned + len(seats))
    try:
        if not staged:
            record = [record_update(updated)] if seats else []
            submit(services, [*record, *[("create", seat) for seat in seats], receipt, activity])
        else:
            per_seat: list[list[Operation]] = [[("create", seat)] for seat in seats]
            per_seat[-1].append(receipt)
            _write_batch(services, target, updated, per_seat, activity, move_id, now, actor)
    except ConcurrentChange:
        # A retry of a write whose answer was lost is refused, though the write happened.
        if not _receipt_exists(services, target.id, move_id):
            raise
        return _committed(services, target.id, move_id)
    return MoveOutcome(updated, [*seats, *held.values()])


def _receipt_exists(services: Services, target_id: str, move_id: str) -> bool:
    try:
        subscriptions_table(services).get_entity(
            target_id, _receipt_key(move_id), select=["RowKey"]
        )
    except ResourceNotFoundError:
        return False
    return True


def _committed(services: Services, target_id: str, move_id: str) -> MoveOutcome:
    """The outcome of a move whose target side committed: the target's seats of its users."""
    target = get_subscription(services, target_id)
    table = subscriptions_table(services)
    try:
        source_id = table.get_entity(target_id, _receipt_key(move_id))["source"]
        intent = table.get_entity(source_id, _intent_key(move_id))
    except ResourceNotFoundError:
        return MoveOutcome(target)
    seats = existing_seats(services, target, intent_emails(intent))
    return MoveOutcome(target, list(seats.values()))


def _copied(target_id: str, seat: Any, move_id: str, staged: bool) -> dict[str, Any]:
    """The source's seat as the target's: label, assignment time and author, the mark."""
    copy = seat_entity(
        target_id,
        seat["email"],
        label=seat.get("label") or None,
        assigned_at=seat["assigned_at"],
        assigned_by=seat.get("assigned_by") or "",
        batch=move_id,
        shared_mailbox=bool(seat.get("shared_mailbox")),
    )
    if seat.get("last_seen_at") is not None:
        copy["last_seen_at"] = seat["last_seen_at"]
    if staged:
        copy["staged"] = True
    return copy


def _drop_intent(services: Services, source_id: str, move_id: str) -> None:
    try:
        subscriptions_table(services).delete_entity(source_id, _intent_key(move_id))
    except ResourceNotFoundError:
        pass
    except AzureError:
        logger.warning("could not drop move %s of %s; reconciliation will", move_id, source_id)


def finish(services: Services, source_id: str, move_id: str) -> bool:
    """Steps 3 to 5 of a move whose target side is done; False when its intent is gone."""
    table = subscriptions_table(services)
    try:
        intent = table.get_entity(source_id, _intent_key(move_id))
    except ResourceNotFoundError:
        return False
    target = get_subscription(services, intent["to"])
    emails = intent_emails(intent)
    in_target = existing_seats(services, target, emails)
    _write_target_lookups(services, target, in_target)
    # Only users now holding the target's seat leave the source: none is left without one.
    released = [email for email in emails if email in in_target]
    source = _release_source(services, source_id, released)
    _delete_source_lookups(services, source_id, released)
    _close(services, source, intent, released)
    try:
        table.delete_entity(target.id, _receipt_key(move_id))
    except AzureError:
        logger.warning("receipt of move %s left in %s", move_id, target.id)
    return True


def _write_target_lookups(services: Services, target: Subscription, seats: dict[str, Any]) -> None:
    """Step 3; raises on failure, so the source is not released before these exist."""
    upsert_lookups(
        services,
        (
            lookup_entity(target, email, shared_mailbox=bool(seat.get("shared_mailbox")))
            for email, seat in seats.items()
        ),
    )


def _release_source(services: Services, source_id: str, emails: list[str]) -> Subscription:
    """Step 4: the source's seats of the addresses and its count, a transaction at a time."""
    source = get_subscription(services, source_id)
    for start in range(0, len(emails), RELEASE_PER_TRANSACTION):
        part = emails[start : start + RELEASE_PER_TRANSACTION]

        def attempt(part: list[str] = part) -> Subscription:
            current = get_subscription(services, source_id)
            seats = existing_seats(services, current, part) if current.assigned else {}
            if not seats:
                return current
            updated = current.with_changes(assigned=max(current.assigned - len(seats), 0))
            operations: list[Operation] = [
                (
                    "delete",
                    {"PartitionKey": source_id, "RowKey": seat["RowKey"]},
                    {
                        "etag": seat.metadata["etag"],
                        "match_condition": MatchConditions.IfNotModified,
                    },
                )
                for seat in seats.values()
            ]
            operations.append(record_update(updated))
            submit(services, operations)
            return updated

        source = retry_on_conflict(attempt)
    return source


def _delete_source_lookups(services: Services, source_id: str, emails: list[str]) -> None:
    """After the target's rows exist; raises on failure, so the intent stays for a retry."""
    delete_lookups(services, (lookup_key(email, source_id) for email in emails))


def _close(services: Services, source: Subscription, intent: Any, released: list[str]) -> None:
    """Step 5: the intent goes with the source's activity row, once."""
    operations: list[Operation] = [
        (
            "delete",
            {"PartitionKey": source.id, "RowKey": intent["RowKey"]},
            {"etag": intent.metadata["etag"], "match_condition": MatchConditions.IfNotModified},
        )
    ]
    if released:
        operations.append(
            (
                "create",
                activity_row(
                    source.id,
                    at=services.clock(),
                    actor=intent.get("actor") or "",
                    action=ACTION,
                    target=released[0] if len(released) == 1 else f"{len(released)} licenses",
                    detail=_summary(released, intent.get("to_name") or intent["to"], "to"),
                ),
            )
        )
    try:
        submit(services, operations)
    except ConcurrentChange:
        pass  # closed by another finisher meanwhile


# --- reconciliation ------------------------------------------------------------------------


def open_moves(services: Services, source_id: str) -> list[Any]:
    return list(
        subscriptions_table(services).query_entities(
            f"PartitionKey eq {odata(source_id)} and RowKey ge {odata(MOVE_RANGE[0])} "
            f"and RowKey lt {odata(MOVE_RANGE[1])}",
            select=["RowKey", "to", "started_at"],
        )
    )


def resume_moves(services: Services, source_id: str, now: datetime) -> tuple[bool, int]:
    """Finish or undo the source's moves whose request has surely ended: (no move left
    open, how many were finished or undone)."""
    settled = True
    resumed = 0
    for intent in open_moves(services, source_id):
        started = intent.get("started_at")
        if isinstance(started, datetime) and now - started <= BATCH_TIMEOUT:
            settled = False  # its request may still be running
            continue
        move_id = intent["RowKey"][len(MOVE_PREFIX) :]
        if resume_move(services, source_id, move_id, intent["to"]):
            resumed += 1
        else:
            settled = False
    return settled, resumed


def resume_move(services: Services, source_id: str, move_id: str, target_id: str) -> bool:
    """Complete a dead request's move when its target side committed, else drop it."""
    table = subscriptions_table(services)
    try:
        table.get_entity(target_id, BATCH_PREFIX + move_id, select=["RowKey"])
    except ResourceNotFoundError:
        pass
    else:
        try:
            rollback_batch(services, target_id, move_id)
        except Conflict:
            return False
    try:
        table.get_entity(target_id, _receipt_key(move_id), select=["RowKey"])
    except ResourceNotFoundError:
        logger.warning("move %s of %s never reached %s; dropped", move_id, source_id, target_id)
        _drop_intent(services, source_id, move_id)
        return True
    try:
        finish(services, source_id, move_id)
    except NotFound:  # the target is gone
        _drop_intent(services, source_id, move_id)
    logger.warning("move %s of %s to %s was left open; completed", move_id, source_id, target_id)
    return True
