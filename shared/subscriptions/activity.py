"""The activity log: one row per change, in the subscription's partition, newest first."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.paging import decode_cursor, encode_cursor
from shared.services import Services
from shared.subscriptions.model import ACTIVITY_PREFIX, prefix_upper_bound
from shared.subscriptions.store import subscriptions_table
from shared.timefmt import Timestamp

# Row keys sort ascending; inverting the time makes the newest row come first.
_MAX_MILLIS = 10**13


class ActivityView(BaseModel):
    at: Timestamp
    actor: str
    action: str
    target: str | None
    detail: str | None


class ActivityPage(BaseModel):
    items: list[ActivityView]
    next_cursor: str | None


def activity_row(
    subscription_id: str,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """An entity to write in the same transaction as the change it records."""
    inverted = _MAX_MILLIS - int(at.timestamp() * 1000)
    return {
        "PartitionKey": subscription_id,
        "RowKey": f"{ACTIVITY_PREFIX}{inverted:013d}|{secrets.token_hex(4)}",
        "at": at,
        "actor": actor,
        "action": action,
        "target": target or "",
        "detail": (detail or "")[:1000],
    }


def list_activity(
    services: Services, subscription_id: str, limit: int, cursor: str | None
) -> ActivityPage:
    low = decode_cursor(cursor, ACTIVITY_PREFIX) if cursor else ACTIVITY_PREFIX
    rows = subscriptions_table(services).query_entities(
        "PartitionKey eq @pk and RowKey gt @low and RowKey lt @high",
        parameters={"pk": subscription_id, "low": low, "high": prefix_upper_bound(ACTIVITY_PREFIX)},
        results_per_page=limit,
    )
    items: list[Any] = []
    for row in rows:
        items.append(row)
        if len(items) == limit + 1:
            break
    more = len(items) > limit
    page = items[:limit]
    return ActivityPage(
        items=[
            ActivityView(
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                target=row["target"] or None,
                detail=row["detail"] or None,
            )
            for row in page
        ],
        next_cursor=encode_cursor(page[-1]["RowKey"]) if more and page else None,
    )
