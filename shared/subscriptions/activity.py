"""The activity log: one row per change, in the subscription's partition, newest first."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.services import Services
from shared.subscriptions.model import ACTIVITY_PREFIX
from shared.subscriptions.store import partition_page
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
    page, next_cursor = partition_page(services, subscription_id, ACTIVITY_PREFIX, limit, cursor)
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
        next_cursor=next_cursor,
    )
