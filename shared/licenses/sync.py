"""The `licensesync` queue: work that follows a committed change to a subscription.

Two kinds of message, both idempotent:
- `{"subscription_id"}`: bring the subscription's look-up rows in line with its seats and its
  current status, name and expiry (sent by the purchases code after a status or name change);
- `{"subscription_id", "release"}`: enqueue the welcome emails of a committed assignment
  (one message instead of one queue request per email on the request's path).

The work list: when a look-up write or a sync message cannot be sent, the subscription (or
the one address) is recorded as a dirty marker in the look-up table's partition `~licensesync`
(encoded domains never contain '~'). The reconciliation timer repairs exactly those.

| RowKey                     | what                                                     |
| -------------------------- | -------------------------------------------------------- |
| `{sub id}|`                | rewrite the subscription's look-up, check its count and  |
|                            | its open assignments                                     |
| `{sub id}|{encoded email}` | make the address's look-up row agree with its seat       |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from typing import Any

from azure.core.exceptions import AzureError
from azure.data.tables import UpdateMode
from pydantic import BaseModel, Field, ValidationError

from shared.email.outbox import OUTBOX_PREFIX, OutboxEntry, OutboxStatus, enqueue
from shared.errors import NotFound
from shared.licenses.lookup import lookup_table, upsert_lookups
from shared.licenses.model import (
    BATCH_PREFIX,
    BATCH_RANGE,
    SEAT_RANGE,
    auto_entity,
    lookup_entity,
    odata,
)
from shared.services import Services
from shared.storage.clients import LICENSE_SYNC_QUEUE, SUBSCRIPTIONS_TABLE
from shared.storage.keys import decode_key, encode_key
from shared.subscriptions.model import prefix_upper_bound
from shared.subscriptions.store import (
    MAX_TRANSACTION_OPERATIONS,
    get_subscription,
    subscriptions_table,
)

logger = logging.getLogger(__name__)

WORK_PARTITION = "~licensesync"
WORK_SEPARATOR = "|"


def work_key(subscription_id: str, email: str | None = None) -> str:
    return subscription_id + WORK_SEPARATOR + (encode_key(email) if email else "")


def parse_work_key(row_key: str) -> tuple[str, str | None]:
    """(subscription id, email or None for the whole subscription) of a marker."""
    subscription_id, _, encoded = row_key.partition(WORK_SEPARATOR)
    return subscription_id, decode_key(encoded) if encoded else None


def mark_dirty(
    services: Services, subscription_id: str, emails: Collection[str] | None = None
) -> None:
    """Record work for the reconciliation: the addresses given, or the whole subscription.

    Best effort: when this fails too, the daily full sweep repairs.
    """
    keys = [work_key(subscription_id, e) for e in emails] if emails else [work_key(subscription_id)]
    now = services.clock()
    try:
        for start in range(0, len(keys), MAX_TRANSACTION_OPERATIONS):
            lookup_table(services).submit_transaction(
                [
                    (
                        "upsert",
                        {"PartitionKey": WORK_PARTITION, "RowKey": key, "marked_at": now},
                        {"mode": UpdateMode.REPLACE},
                    )
                    for key in keys[start : start + MAX_TRANSACTION_OPERATIONS]
                ]
            )
    except AzureError:
        logger.warning(
            "could not record look-up work for %s; the full sweep will",
            subscription_id,
            exc_info=True,
        )


class SyncMessage(BaseModel):
    subscription_id: str = Field(min_length=1, max_length=64)
    release: str | None = Field(default=None, max_length=64)


def _send(services: Services, message: dict[str, Any]) -> None:
    """Best effort: when this fails, the reconciliation and the outbox sweep repair."""
    try:
        services.storage.queue(LICENSE_SYNC_QUEUE).send_message(json.dumps(message))
    except AzureError:
        logger.warning("could not enqueue %s; reconciliation will", message, exc_info=True)
        mark_dirty(services, message["subscription_id"])


def request_lookup_sync(services: Services, subscription_id: str) -> None:
    """Ask for the subscription's look-up rows to be rewritten (after a status or name change)."""
    _send(services, {"subscription_id": subscription_id})


def request_email_release(services: Services, subscription_id: str, batch: str) -> None:
    """Ask for the welcome emails of a committed assignment to be enqueued."""
    _send(services, {"subscription_id": subscription_id, "release": batch})


def handle_sync_message(services: Services, text: str) -> None:
    try:
        message = SyncMessage.model_validate_json(text)
    except ValidationError:
        # Retrying cannot make it valid; dropping it loses nothing the timers do not repair.
        logger.error("ignoring a malformed licensesync message")
        return
    if message.release:
        release_emails(services, message.subscription_id, message.release)
    else:
        sync_subscription(services, message.subscription_id)


def open_batches(services: Services, subscription_id: str) -> set[str]:
    """Ids of the subscription's assignments that are still being written."""
    rows = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(subscription_id)} and RowKey ge {odata(BATCH_RANGE[0])} "
        f"and RowKey lt {odata(BATCH_RANGE[1])}",
        select=["RowKey"],
    )
    return {row["RowKey"][len(BATCH_PREFIX) :] for row in rows}


def sync_subscription(services: Services, subscription_id: str) -> int:
    """Rewrite the look-up rows of every committed seat; returns how many were written.

    Rows of seats that no longer exist (and of a deleted subscription) are the
    reconciliation's: finding them needs a scan of the whole look-up.
    """
    try:
        subscription = get_subscription(services, subscription_id)
    except NotFound:
        return 0
    pending = open_batches(services, subscription_id)
    seats = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(subscription_id)} and RowKey ge {odata(SEAT_RANGE[0])} "
        f"and RowKey lt {odata(SEAT_RANGE[1])}",
        select=["email", "batch", "shared_mailbox"],
    )
    rows = [
        lookup_entity(subscription, seat["email"], shared_mailbox=bool(seat.get("shared_mailbox")))
        for seat in seats
        if seat.get("batch") not in pending
    ]
    rows += [auto_entity(subscription, domain) for domain in subscription.auto_assign_domains]
    upsert_lookups(services, rows)
    return len(rows)


def release_emails(services: Services, subscription_id: str, batch: str) -> int:
    """Enqueue the unsent welcome emails of an assignment; returns how many."""
    rows = subscriptions_table(services).query_entities(
        f"PartitionKey eq {odata(subscription_id)} and RowKey ge {odata(OUTBOX_PREFIX)} "
        f"and RowKey lt {odata(prefix_upper_bound(OUTBOX_PREFIX))} and batch eq {odata(batch)} "
        f"and status eq {odata(OutboxStatus.PENDING.value)}",
        select=["PartitionKey", "RowKey"],
    )
    entries = [OutboxEntry(SUBSCRIPTIONS_TABLE, row["PartitionKey"], row["RowKey"]) for row in rows]
    enqueue(services, entries)
    return len(entries)
