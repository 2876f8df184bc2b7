"""The reconciliation (timer): makes the license look-up agree with the seats, finishes what
dead requests left behind, and checks each subscription's count. Idempotent: a second run
right after the first changes nothing.

The order of the reads is what makes it safe while requests keep changing things:

1. the look-up as it is, first: a row written after this read is never judged stale, and a
   stale row is deleted only under the ETag it was read with;
2. the subscription records, with their ETags;
3. every seat;
4. the batch rows (assignments still being written), after the seats: a batch that
   committed meanwhile has no row any more and its seats count as committed; a batch still
   open keeps its seats out of the look-up; a batch older than BATCH_TIMEOUT is rolled back;
5. stale rows deleted, missing or outdated rows written; each row added is checked against
   its seat once more, so a seat removed since step 3 is not brought back;
6. a count that disagrees with the seats is corrected under the ETag of step 2 (any seat
   change since then also changed the record, so a correction cannot act on a stale count).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

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
    odata,
    seat_key,
)
from shared.licenses.seats import BATCH_TIMEOUT, rollback_batch
from shared.services import Services
from shared.subscriptions.model import RECORD_ROW, Subscription
from shared.subscriptions.store import ConcurrentChange, record_update, submit, subscriptions_table

logger = logging.getLogger(__name__)

COMPARED = ("status", "subscription", "expires_at", "tenant_id", "shared_mailbox")


@dataclass
class Report:
    written: int = 0
    deleted: int = 0
    rolled_back: int = 0
    counts_corrected: int = 0


def reconcile(services: Services) -> Report:
    report = Report()
    table = subscriptions_table(services)
    existing = {
        (row["PartitionKey"], row["RowKey"]): row
        for row in lookup_table(services).list_entities(results_per_page=1000)
    }
    records = {
        row["PartitionKey"]: Subscription.from_entity(row)
        for row in table.query_entities(f"RowKey eq {odata(RECORD_ROW)}", results_per_page=1000)
    }
    seats = list(
        table.query_entities(
            f"RowKey ge {odata(SEAT_RANGE[0])} and RowKey lt {odata(SEAT_RANGE[1])}",
            select=["PartitionKey", "RowKey", "email", "batch", "last_seen_at", "shared_mailbox"],
            results_per_page=1000,
        )
    )
    now = services.clock()
    open_batches: set[tuple[str, str]] = set()
    for batch in table.query_entities(
        f"RowKey ge {odata(BATCH_RANGE[0])} and RowKey lt {odata(BATCH_RANGE[1])}",
        select=["PartitionKey", "RowKey", "started_at"],
    ):
        subscription_id, batch_id = batch["PartitionKey"], batch["RowKey"][len(BATCH_PREFIX) :]
        open_batches.add((subscription_id, batch_id))
        if now - batch["started_at"] > BATCH_TIMEOUT:
            logger.warning(
                "assignment %s of %s was left open; rolling back", batch_id, subscription_id
            )
            if rollback_batch(services, subscription_id, batch_id):
                report.rolled_back += 1

    expected: dict[tuple[str, str], dict[str, Any]] = {}
    counts: Counter[str] = Counter()
    for seat in seats:
        subscription_id = seat["PartitionKey"]
        counts[subscription_id] += 1
        subscription = records.get(subscription_id)
        if subscription is None or (subscription_id, seat.get("batch")) in open_batches:
            continue
        seen = seat.get("last_seen_at")
        entity = lookup_entity(
            subscription,
            seat["email"],
            day(seen) if seen else None,
            shared_mailbox=bool(seat.get("shared_mailbox")),
        )
        expected[(entity["PartitionKey"], entity["RowKey"])] = entity
    for subscription in records.values():
        for domain in subscription.auto_assign_domains:
            entity = auto_entity(subscription, domain)
            expected[(entity["PartitionKey"], entity["RowKey"])] = entity

    for key, row in existing.items():
        if key not in expected and delete_if_unchanged(services, row):
            report.deleted += 1
    added = [entity for key, entity in expected.items() if key not in existing]
    changed = []
    for key, entity in expected.items():
        current = existing.get(key)
        if current is not None and any(current.get(n) != entity.get(n) for n in COMPARED):
            entity.pop("last_seen", None)  # merging keeps the row's own
            changed.append(entity)
    upsert_lookups(services, added + changed)
    report.written = len(added) + len(changed)
    report.deleted += _recheck(services, added)

    busy = {subscription_id for subscription_id, _ in open_batches}
    for subscription in records.values():
        actual = counts[subscription.id]
        if subscription.id in busy or actual == subscription.assigned:
            continue
        try:
            submit(services, [record_update(subscription.with_changes(assigned=actual))])
        except ConcurrentChange:
            continue  # it changed since we read it: next cycle looks again
        logger.error(
            "subscription %s counted %d seats but holds %d rows; corrected",
            subscription.id,
            subscription.assigned,
            actual,
        )
        report.counts_corrected += 1
    if report.written or report.deleted or report.rolled_back or report.counts_corrected:
        logger.info("license reconciliation: %s", report)
    return report


def _recheck(services: Services, added: list[dict[str, Any]]) -> int:
    """Delete rows just added whose seat was removed since the seats were read."""
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
