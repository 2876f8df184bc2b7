"""Reading and writing a subscription's partition: the record, with its ETag, and atomic
batches of rows that go with it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableTransactionError, TransactionOperation, UpdateMode

from shared.errors import Conflict, NotFound
from shared.paging import decode_cursor, encode_cursor
from shared.services import Services
from shared.storage.clients import SUBSCRIPTIONS_TABLE
from shared.subscriptions.model import RECORD_ROW, Subscription, prefix_upper_bound

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Azure Table Storage: at most 100 operations in one entity group transaction
# (https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions).
MAX_TRANSACTION_OPERATIONS = 100
CONFLICT_RETRIES = 8

Operation = tuple[Any, ...]


class ConcurrentChange(Exception):
    """Another request changed the partition between our read and our write; read again."""


def subscriptions_table(services: Services) -> TableClient:
    return services.storage.table(SUBSCRIPTIONS_TABLE)


def get_subscription(services: Services, subscription_id: str) -> Subscription:
    if not _plausible_id(subscription_id):
        raise NotFound("no such subscription")
    try:
        entity = subscriptions_table(services).get_entity(subscription_id, RECORD_ROW)
    except ResourceNotFoundError:
        raise NotFound("no such subscription") from None
    return Subscription.from_entity(entity)


def _plausible_id(subscription_id: str) -> bool:
    return 0 < len(subscription_id) <= 64 and all(c.isalnum() or c == "-" for c in subscription_id)


def replace_if_unchanged(entity: dict[str, Any], etag: str | None) -> Operation:
    """The transaction operation that replaces a row if nobody changed it since it was read."""
    return (
        TransactionOperation.UPDATE,
        entity,
        {
            "mode": UpdateMode.REPLACE,
            "etag": etag,
            "match_condition": MatchConditions.IfNotModified,
        },
    )


def record_update(subscription: Subscription) -> Operation:
    """Replace the subscription's record if nobody changed it since we read it."""
    return replace_if_unchanged(subscription.to_entity(), subscription.etag)


def submit(services: Services, operations: list[Operation]) -> list[Mapping[str, Any]]:
    """One atomic transaction in one partition; ConcurrentChange when an ETag or insert lost.

    Returns each operation's response metadata (its new `etag`), in order.
    """
    if not operations:
        return []
    if len(operations) > MAX_TRANSACTION_OPERATIONS:
        raise ValueError("a transaction holds at most 100 operations")
    try:
        return subscriptions_table(services).submit_transaction(operations)
    except TableTransactionError as error:
        if error.status_code in (409, 412):
            raise ConcurrentChange(str(getattr(error, "error_code", error.status_code))) from None
        raise
    except (ResourceModifiedError, ResourceExistsError) as error:
        raise ConcurrentChange(type(error).__name__) from None
    except HttpResponseError as error:
        if error.status_code in (409, 412):
            raise ConcurrentChange(str(getattr(error, "error_code", error.status_code))) from None
        raise


def retry_on_conflict(attempt: Callable[[], T], *, retries: int = CONFLICT_RETRIES) -> T:
    """Run a read-modify-write until it wins, a bounded number of times, else 409."""
    for round_number in range(retries):
        try:
            return attempt()
        except ConcurrentChange:
            # Short jittered pause: racing writers of one partition spread out.
            time.sleep(
                min(0.005 * 2**round_number, 0.2) * (0.5 + (time.monotonic_ns() % 1000) / 1000)
            )
    raise Conflict(
        "the subscription is being changed by other requests; try again",
        code="concurrent_change",
    )


def partition_page(
    services: Services, subscription_id: str, prefix: str, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of the partition's rows of a kind, in row-key order, and the next cursor."""
    low = decode_cursor(cursor, prefix) if cursor else prefix
    rows = subscriptions_table(services).query_entities(
        "PartitionKey eq @pk and RowKey gt @low and RowKey lt @high",
        parameters={"pk": subscription_id, "low": low, "high": prefix_upper_bound(prefix)},
        results_per_page=min(limit + 1, 1000),
    )
    items: list[Any] = []
    for row in rows:
        items.append(row)
        if len(items) > limit:
            break
    page = items[:limit]
    more = len(items) > limit
    return page, (encode_cursor(page[-1]["RowKey"]) if more and page else None)
