"""The subscription record and the vocabulary around it (status, permissions, row keys).

A subscription's partition (PartitionKey = subscription id, table `subscriptions`) holds:

| RowKey                          | what                                                   |
| ------------------------------- | ------------------------------------------------------ |
| `record`                        | this record: quantity, assigned count, status, owner … |
| `seat|{encoded email}`          | one assigned license                                   |
| `admin|{admin id}`              | a delegated administrator or a pending invitation      |
| `adminemail|{encoded email}`    | guard: one administrator row per address (admins/model)|
| `key|{key id}`                  | an API key (only its hash)                             |
| `activity|{inverted ms}|{rand}` | the activity log, newest first                         |
| `outbox|{uuid}`                 | an email waiting to be sent                            |
| `unassigned|{encoded email}`    | the last day the address lost its license (limits)     |
| `event|{stripe event id}`       | a processed Stripe event                               |

so every invariant of a subscription is guarded by one partition's transactions and ETags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

RECORD_ROW = "record"
SEAT_PREFIX = "seat|"
ADMIN_PREFIX = "admin|"
KEY_PREFIX = "key|"
ACTIVITY_PREFIX = "activity|"
EVENT_PREFIX = "event|"


def prefix_upper_bound(prefix: str) -> str:
    """The smallest key greater than every key starting with prefix (for range queries)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Status(StrEnum):
    PENDING = "pending"  # paid checkout not yet confirmed
    ACTIVE = "active"
    PAST_DUE = "past_due"  # payment failed; licenses still work
    EXPIRED = "expired"  # canceled or unpaid; licenses stop working

    @property
    def licenses_work(self) -> bool:
        return self in (Status.ACTIVE, Status.PAST_DUE)


class Permission(StrEnum):
    VIEW = "view"
    ASSIGN = "assign"
    QUANTITY = "quantity"
    BILLING = "billing"


ALL_PERMISSIONS = frozenset(Permission)
PERMISSION_ORDER = tuple(Permission)


def sorted_permissions(permissions: frozenset[Permission] | set[Permission]) -> list[str]:
    return [p.value for p in PERMISSION_ORDER if p in permissions]


def parse_permissions(stored: str) -> frozenset[Permission]:
    return frozenset(Permission(p) for p in stored.split(",") if p)


def store_permissions(permissions: frozenset[Permission] | set[Permission]) -> str:
    return ",".join(sorted_permissions(permissions))


@dataclass(frozen=True)
class Owner:
    tenant_id: str
    object_id: str
    email: str

    @property
    def user_id(self) -> str:
        return f"{self.tenant_id}:{self.object_id}"


@dataclass(frozen=True)
class Subscription:
    id: str
    name: str
    status: Status
    quantity: int
    assigned: int
    owner: Owner
    created_at: datetime
    current_period_end: datetime | None = None
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None
    # Ordering key of the newest Stripe subscription state applied, so an older event
    # delivered late never overwrites newer state.
    stripe_state_key: str = ""
    auto_assign_domains: tuple[str, ...] = ()
    # The email budget of the day (shared.subscriptions.limits): the UTC date it counts for
    # and the emails counted; and the last day a license was unassigned, when welcome emails
    # of that day's re-assignments are held back.
    emails_day: str = ""
    emails_sent: int = 0
    unassigned_day: str = ""
    etag: str | None = field(default=None, compare=False)

    @property
    def available(self) -> int:
        return max(self.quantity - self.assigned, 0)

    def with_changes(self, **changes: Any) -> Subscription:
        return replace(self, **changes)

    def to_entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": self.id,
            "RowKey": RECORD_ROW,
            "name": self.name,
            "status": self.status.value,
            "quantity": self.quantity,
            "assigned": self.assigned,
            "owner_tenant_id": self.owner.tenant_id,
            "owner_object_id": self.owner.object_id,
            "owner_email": self.owner.email,
            "created_at": self.created_at,
            "current_period_end": self.current_period_end,
            "stripe_customer_id": self.stripe_customer_id or "",
            "stripe_subscription_id": self.stripe_subscription_id or "",
            "stripe_state_key": self.stripe_state_key,
            "auto_assign_domains": json.dumps(list(self.auto_assign_domains)),
            "emails_day": self.emails_day,
            "emails_sent": self.emails_sent,
            "unassigned_day": self.unassigned_day,
        }

    @classmethod
    def from_entity(cls, entity: Any) -> Subscription:
        return cls(
            id=entity["PartitionKey"],
            name=entity["name"],
            status=Status(entity["status"]),
            quantity=int(entity["quantity"]),
            assigned=int(entity["assigned"]),
            owner=Owner(
                entity["owner_tenant_id"], entity["owner_object_id"], entity["owner_email"]
            ),
            created_at=entity["created_at"],
            current_period_end=entity.get("current_period_end"),
            stripe_customer_id=entity.get("stripe_customer_id") or None,
            stripe_subscription_id=entity.get("stripe_subscription_id") or None,
            stripe_state_key=entity.get("stripe_state_key") or "",
            auto_assign_domains=tuple(json.loads(entity.get("auto_assign_domains") or "[]")),
            emails_day=entity.get("emails_day") or "",
            emails_sent=int(entity.get("emails_sent") or 0),
            unassigned_day=entity.get("unassigned_day") or "",
            etag=entity.metadata.get("etag") if hasattr(entity, "metadata") else None,
        )
