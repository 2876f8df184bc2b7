"""Delegated administrators and pending invitations: their rows and how callers see them.

In the subscription's partition (table `subscriptions`):

| RowKey                     | what                                                            |
| -------------------------- | --------------------------------------------------------------- |
| `admin|{admin id}`         | an administrator (`active`) or a pending invitation (`invited`) |
| `adminemail|{enc. email}`  | guard: at most one administrator row per address                |

The guard row is inserted and deleted in the same transaction as its administrator row, so
two owners racing to invite the same address cannot both win (the second insert fails).

In the `directory` table, pointers that are always re-checked against the partition:

| PartitionKey               | RowKey                          | what                             |
| -------------------------- | ------------------------------- | -------------------------------- |
| `invitation|{token hash}`  | `invitation`                    | the invitation a link opens      |
| `invite|{enc. email}`      | `{subscription id}|{admin id}`  | invitations addressed to a user  |
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from shared.storage.keys import encode_key
from shared.subscriptions.model import (
    ADMIN_PREFIX,
    Permission,
    parse_permissions,
    sorted_permissions,
    store_permissions,
)
from shared.timefmt import Timestamp

ADMIN_EMAIL_PREFIX = "adminemail|"
INVITATION_INDEX_PREFIX = "invitation|"
INVITATION_INDEX_ROW = "invitation"
INVITE_EMAIL_PREFIX = "invite|"
INVITATION_LIFETIME = timedelta(days=14)


class AdminStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"


def new_id(now: datetime) -> str:
    """Ids that sort by creation (so lists come out oldest first) and cannot be guessed."""
    return f"{int(now.timestamp() * 1000):011x}{secrets.token_hex(6)}"


def plausible_id(value: str) -> bool:
    return 0 < len(value) <= 64 and all(c in "0123456789abcdef" for c in value)


def admin_row_key(admin_id: str) -> str:
    return ADMIN_PREFIX + admin_id


def admin_email_row_key(email: str) -> str:
    return ADMIN_EMAIL_PREFIX + encode_key(email)


def invitation_index_key(token_hash: str) -> str:
    return INVITATION_INDEX_PREFIX + token_hash


def invite_email_key(email: str) -> str:
    return INVITE_EMAIL_PREFIX + encode_key(email)


def with_view(permissions: frozenset[Permission] | set[Permission]) -> frozenset[Permission]:
    """Every delegate and key holds `view`; storing it makes what is shown what is granted."""
    return frozenset(permissions) | {Permission.VIEW}


@dataclass(frozen=True)
class Administrator:
    """One `admin|` row of a subscription's partition."""

    subscription_id: str
    id: str
    email: str
    permissions: frozenset[Permission]
    status: AdminStatus
    invited_at: datetime
    invited_by: str
    user_id: str | None = None
    accepted_at: datetime | None = None
    token_hash: str = ""
    token_expires_at: datetime | None = None
    # The UTC day of the last resends and how many that day (shared.subscriptions.limits).
    resends_day: str = ""
    resends: int = 0
    etag: str | None = None

    @property
    def row_key(self) -> str:
        return admin_row_key(self.id)

    def to_entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": self.subscription_id,
            "RowKey": self.row_key,
            "email": self.email,
            "permissions": store_permissions(self.permissions),
            "status": self.status.value,
            "user_id": self.user_id or "",
            "invited_at": self.invited_at,
            "invited_by": self.invited_by,
            "accepted_at": self.accepted_at,
            "token_hash": self.token_hash,
            "token_expires_at": self.token_expires_at,
            "resends_day": self.resends_day,
            "resends": self.resends,
        }

    @classmethod
    def from_entity(cls, entity: Any) -> Administrator:
        return cls(
            subscription_id=entity["PartitionKey"],
            id=entity["RowKey"].removeprefix(ADMIN_PREFIX),
            email=entity["email"],
            permissions=parse_permissions(entity["permissions"]),
            status=AdminStatus(entity["status"]),
            invited_at=entity["invited_at"],
            invited_by=entity.get("invited_by") or "",
            user_id=entity.get("user_id") or None,
            accepted_at=entity.get("accepted_at"),
            token_hash=entity.get("token_hash") or "",
            token_expires_at=entity.get("token_expires_at"),
            resends_day=entity.get("resends_day") or "",
            resends=int(entity.get("resends") or 0),
            etag=entity.metadata.get("etag") if hasattr(entity, "metadata") else None,
        )


def email_guard_entity(subscription_id: str, email: str, admin_id: str) -> dict[str, Any]:
    return {
        "PartitionKey": subscription_id,
        "RowKey": admin_email_row_key(email),
        "admin_id": admin_id,
    }


class AdministratorView(BaseModel):
    """The Administrator object of API.md."""

    id: str
    email: str
    permissions: list[str]
    status: str
    invited_at: Timestamp
    accepted_at: Timestamp | None
    invited_by: str


class AdministratorList(BaseModel):
    items: list[AdministratorView]
    next_cursor: str | None = None


def administrator_view(admin: Administrator) -> AdministratorView:
    return AdministratorView(
        id=admin.id,
        email=admin.email,
        permissions=sorted_permissions(admin.permissions),
        status=admin.status.value,
        invited_at=admin.invited_at,
        accepted_at=admin.accepted_at,
        invited_by=admin.invited_by,
    )
