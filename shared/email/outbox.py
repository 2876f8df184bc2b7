"""The transactional outbox: an email is a row written with the change that causes it, then a
queue message; the sender claims the row, sends once per outbox id, and marks it sent.

The sweep reads only due rows: a pointer `~outbox/{due}|{pk}|{rk}` (keys sort by due time) is
written when a row needs the sweep (its enqueue failed; a redelivered message found it claimed
by a sender that may have died). A daily pass, one partition per step with its position kept
in `~outbox/~pass`, is the backstop for a process that died between its commit and its enqueue,
and deletes sent rows older than SENT_RETENTION.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import islice
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode
from jinja2 import TemplateError

from shared.email.senders import EmailSender, PermanentSendError, RateLimited, TransientSendError
from shared.email.templates import TEMPLATES, render
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE, SUBSCRIPTIONS_TABLE, poison_queue_name

logger = logging.getLogger(__name__)

OUTBOX_PREFIX = "outbox|"
OUTBOX_TABLES = frozenset({SUBSCRIPTIONS_TABLE})
MAX_SEND_ATTEMPTS = 6
FIRST_RETRY_DELAY = timedelta(seconds=15)
MAX_RETRY_DELAY = timedelta(minutes=15)
# A claim older than this belongs to a sender that died; the sweep hands the row out again.
STALE_CLAIM = timedelta(minutes=10)
# Rows younger than this are still on their way through the queue; the sweep leaves them.
SWEEP_GRACE = timedelta(minutes=2)
# Azure Queue Storage caps a message's initial invisibility at 7 days.
MAX_QUEUE_DELAY = timedelta(days=7)
SENT_RETENTION = timedelta(days=7)
DUE_PARTITION = "~outbox"
PASS_ROW = "~pass"
PASS_INTERVAL = timedelta(days=1)
PASS_BUDGET_SECONDS = 45.0
MAX_DUE_PER_SWEEP = 1000
OUTBOX_RANGE = (OUTBOX_PREFIX, OUTBOX_PREFIX[:-1] + chr(ord(OUTBOX_PREFIX[-1]) + 1))
# Partitions whose key starts with '~' are bookkeeping, never a subscription.
_BOOKKEEPING = "~"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxEntry:
    """Where an outbox row lives; the queue message names it and nothing else."""

    table: str
    partition_key: str
    row_key: str

    def to_message(self) -> str:
        return json.dumps({"table": self.table, "pk": self.partition_key, "rk": self.row_key})

    @classmethod
    def from_message(cls, text: str) -> OutboxEntry:
        document = json.loads(text)
        entry = cls(document["table"], document["pk"], document["rk"])
        if entry.table not in OUTBOX_TABLES or not entry.row_key.startswith(OUTBOX_PREFIX):
            raise ValueError("the message does not name an outbox row")
        return entry


def outbox_row(
    partition_key: str,
    *,
    to: str,
    template: str,
    params: dict[str, Any],
    now: datetime,
    table: str = SUBSCRIPTIONS_TABLE,
) -> tuple[dict[str, Any], OutboxEntry]:
    """The entity to write in the caller's own transaction, and the entry to enqueue after it."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    row_key = OUTBOX_PREFIX + str(uuid.uuid4())
    entity = {
        "PartitionKey": partition_key,
        "RowKey": row_key,
        "to": to,
        "template": template,
        "params": json.dumps(params, default=str),
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "not_before": now,
    }
    return entity, OutboxEntry(table, partition_key, row_key)


def _due_key(due: datetime, entry: OutboxEntry) -> str:
    return f"{due.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|{entry.partition_key}|{entry.row_key}"


def mark_due(services: Services, entry: OutboxEntry, due: datetime) -> None:
    """Point the sweep at a row; best effort (the daily pass is the backstop)."""
    try:
        services.storage.table(entry.table).upsert_entity(
            {"PartitionKey": DUE_PARTITION, "RowKey": _due_key(due, entry)},
            mode=UpdateMode.REPLACE,
        )
    except AzureError:
        logger.warning("could not point the sweep at %s", entry.row_key, exc_info=True)


def enqueue(services: Services, entries: list[OutboxEntry]) -> None:
    """Hand committed outbox rows to the sender. A failure here is repaired by the sweep."""
    queue = services.storage.queue(EMAIL_QUEUE)
    for entry in entries:
        try:
            queue.send_message(entry.to_message())
        except AzureError:
            logger.warning(
                "could not enqueue %s; the outbox sweep will", entry.row_key, exc_info=True
            )
            mark_due(services, entry, services.clock() + SWEEP_GRACE)


def deliver(services: Services, sender: EmailSender, message_text: str) -> OutboxStatus | None:
    """Send the email a queue message names, at most once; returns the row's new status.

    A 429 re-enqueues the message after Retry-After without counting a try; other provider
    failures back off and, after MAX_SEND_ATTEMPTS, end in the poison queue.
    """
    entry = OutboxEntry.from_message(message_text)
    table = services.storage.table(entry.table)
    try:
        row = table.get_entity(entry.partition_key, entry.row_key)
    except ResourceNotFoundError:
        logger.warning("outbox row %s no longer exists; nothing to send", entry.row_key)
        return None
    now = services.clock()
    if not _claim(services, entry, row, now):
        return None

    try:
        email = render(row["template"], json.loads(row["params"]))
    except (TemplateError, ValueError, KeyError) as error:
        # No retry can render it; left claimed, it would come back from the sweep forever.
        return _give_up(services, entry, f"cannot render: {type(error).__name__}: {error}", now)
    outbox_id = entry.row_key.removeprefix(OUTBOX_PREFIX)
    try:
        sender.send(outbox_id, row["to"], email, now)
    except RateLimited as limited:
        _release(
            services,
            entry,
            row,
            timedelta(seconds=limited.retry_after_seconds),
            now,
            count_attempt=False,
        )
        return OutboxStatus.PENDING
    except PermanentSendError as error:
        return _give_up(services, entry, str(error), now)
    except Exception as error:
        # Transient by declaration or unforeseen: either way, back off a bounded number of
        # times rather than leave the row claimed for the sweep to hand out forever.
        if not isinstance(error, TransientSendError):
            logger.exception("unexpected failure sending %s", entry.row_key)
        attempts = int(row.get("attempts", 0)) + 1
        if attempts >= MAX_SEND_ATTEMPTS:
            return _give_up(services, entry, f"{attempts} tries failed: {error}", now)
        delay = min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        _release(services, entry, row, delay, now, count_attempt=True)
        return OutboxStatus.PENDING
    table.update_entity(
        {
            "PartitionKey": entry.partition_key,
            "RowKey": entry.row_key,
            "status": OutboxStatus.SENT.value,
            "sent_at": now,
        },
        mode=UpdateMode.MERGE,
    )
    return OutboxStatus.SENT


def _claim(services: Services, entry: OutboxEntry, row: Any, now: datetime) -> bool:
    """Take the row for this delivery; False when it is sent, failed or another sender has it."""
    status = row["status"]
    if status in (OutboxStatus.SENT, OutboxStatus.FAILED):
        return False
    if status == OutboxStatus.SENDING and now - row["claimed_at"] < STALE_CLAIM:
        # Redelivered while claimed: the sender may have died; the sweep looks once it is stale.
        mark_due(services, entry, row["claimed_at"] + STALE_CLAIM)
        return False
    try:
        services.storage.table(entry.table).update_entity(
            {
                "PartitionKey": row["PartitionKey"],
                "RowKey": row["RowKey"],
                "status": OutboxStatus.SENDING.value,
                "claimed_at": now,
            },
            mode=UpdateMode.MERGE,
            etag=row.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    except ResourceModifiedError:
        return False
    return True


def _release(
    services: Services,
    entry: OutboxEntry,
    row: Any,
    delay: timedelta,
    now: datetime,
    *,
    count_attempt: bool,
) -> None:
    delay = min(delay, MAX_QUEUE_DELAY)
    attempts = int(row.get("attempts", 0)) + (1 if count_attempt else 0)
    services.storage.table(entry.table).update_entity(
        {
            "PartitionKey": entry.partition_key,
            "RowKey": entry.row_key,
            "status": OutboxStatus.PENDING.value,
            "attempts": attempts,
            "not_before": now + delay,
        },
        mode=UpdateMode.MERGE,
    )
    services.storage.queue(EMAIL_QUEUE).send_message(
        entry.to_message(), visibility_timeout=int(delay.total_seconds())
    )
    logger.info("email %s delayed %ss (tries so far: %s)", entry.row_key, delay.seconds, attempts)


def _give_up(services: Services, entry: OutboxEntry, reason: str, now: datetime) -> OutboxStatus:
    services.storage.table(entry.table).update_entity(
        {
            "PartitionKey": entry.partition_key,
            "RowKey": entry.row_key,
            "status": OutboxStatus.FAILED.value,
            "failed_at": now,
            "failure": reason[:500],
        },
        mode=UpdateMode.MERGE,
    )
    services.storage.queue(poison_queue_name(EMAIL_QUEUE)).send_message(entry.to_message())
    logger.error("email %s failed for good and went to the poison queue: %s", entry.row_key, reason)
    return OutboxStatus.FAILED


def sweep(
    services: Services,
    *,
    budget_seconds: float = PASS_BUDGET_SECONDS,
    max_pass_steps: int | None = None,
) -> int:
    """Re-enqueue rows left unsent (enqueue failed, or a sender died); returns how many.

    Reads the due pointers, then takes the daily pass a few partitions further."""
    deadline = time.monotonic() + budget_seconds
    count = 0
    for table_name in sorted(OUTBOX_TABLES):
        table = services.storage.table(table_name)
        handed_out = _sweep_due(services, table_name, table)
        count += len(handed_out)
        count += _daily_pass(services, table_name, table, deadline, max_pass_steps, handed_out)
    if count:
        logger.info("outbox sweep re-enqueued %d emails", count)
    return count


def _needs_sending(row: Any, now: datetime) -> bool | None:
    """True: hand it out now; None: not yet; False: nothing left to do."""
    status = row["status"]
    if status == OutboxStatus.SENDING:
        return True if now - row["claimed_at"] >= STALE_CLAIM else None
    if status == OutboxStatus.PENDING:
        return True if now - row["not_before"] >= SWEEP_GRACE else None
    return False


def _sweep_due(services: Services, table_name: str, table: TableClient) -> set[OutboxEntry]:
    now = services.clock()
    pointers = table.query_entities(
        "PartitionKey eq @pk and RowKey le @now",
        parameters={"pk": DUE_PARTITION, "now": _due_key(now, OutboxEntry("", "", "~"))},
        select=["RowKey"],
        results_per_page=MAX_DUE_PER_SWEEP,
    )
    entries = []
    for pointer in list(islice(pointers, MAX_DUE_PER_SWEEP)):
        _, partition_key, row_key = pointer["RowKey"].split("|", 2)
        entry = OutboxEntry(table_name, partition_key, row_key)
        try:
            row = table.get_entity(
                partition_key, row_key, select=["status", "not_before", "claimed_at"]
            )
            verdict = _needs_sending(row, now)
        except ResourceNotFoundError:
            verdict = False
        if verdict is None:
            continue  # looked at again next time
        if verdict:
            entries.append(entry)
        table.delete_entity(DUE_PARTITION, pointer["RowKey"])
    enqueue(services, entries)
    return set(entries)


def _daily_pass(
    services: Services,
    table_name: str,
    table: TableClient,
    deadline: float,
    max_steps: int | None,
    handed_out: set[OutboxEntry],
) -> int:
    """The backstop: every partition holding outbox rows, one per step, resumed across
    invocations. Rows not yet due get a pointer; sent rows past retention are deleted."""
    try:
        state: dict[str, Any] = dict(table.get_entity(DUE_PARTITION, PASS_ROW))
    except ResourceNotFoundError:
        state = {}
    now = services.clock()
    if not state.get("running"):
        finished = state.get("finished_at")
        if finished is not None and now - finished < PASS_INTERVAL:
            return 0
        state = {"running": True, "after": "", "started_at": now}
    state.update(PartitionKey=DUE_PARTITION, RowKey=PASS_ROW)
    count = steps = 0
    while time.monotonic() < deadline and (max_steps is None or steps < max_steps):
        following = table.query_entities(
            "PartitionKey gt @after and PartitionKey lt @end and RowKey ge @low "
            "and RowKey lt @high",
            parameters={
                "after": state["after"],
                "end": _BOOKKEEPING,
                "low": OUTBOX_RANGE[0],
                "high": OUTBOX_RANGE[1],
            },
            select=["PartitionKey"],
            results_per_page=1,
        )
        found = next(iter(following), None)
        if found is None:
            state.update(running=False, after="", finished_at=services.clock())
        else:
            count += _pass_partition(
                services, table_name, table, found["PartitionKey"], now, handed_out
            )
            state["after"] = found["PartitionKey"]
        table.upsert_entity(state, mode=UpdateMode.REPLACE)
        steps += 1
        if not state["running"]:
            break
    return count


def _pass_partition(
    services: Services,
    table_name: str,
    table: TableClient,
    partition_key: str,
    now: datetime,
    handed_out: set[OutboxEntry],
) -> int:
    rows = table.query_entities(
        "PartitionKey eq @pk and RowKey ge @low and RowKey lt @high",
        parameters={"pk": partition_key, "low": OUTBOX_RANGE[0], "high": OUTBOX_RANGE[1]},
        select=["RowKey", "status", "not_before", "claimed_at", "sent_at"],
        results_per_page=1000,
    )
    entries = []
    expired = 0
    for row in rows:
        entry = OutboxEntry(table_name, partition_key, row["RowKey"])
        verdict = _needs_sending(row, now)
        if verdict and entry in handed_out:
            continue
        if verdict:
            entries.append(entry)
        elif verdict is None:
            due = (
                row["claimed_at"] + STALE_CLAIM
                if row["status"] == OutboxStatus.SENDING
                else (row["not_before"] + SWEEP_GRACE)
            )
            mark_due(services, entry, due)
        elif row["status"] == OutboxStatus.SENT and now - row["sent_at"] > SENT_RETENTION:
            try:
                table.delete_entity(partition_key, row["RowKey"])
                expired += 1
            except ResourceNotFoundError:
                pass
    if expired:
        logger.info("deleted %d sent emails of %s past retention", expired, partition_key)
    enqueue(services, entries)
    return len(entries)
