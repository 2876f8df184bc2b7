"""Seats and license look-up rows: their keys, their entities and the License of API.md.

A seat lives in its subscription's partition (table `subscriptions`):

| RowKey                  | what                                                           |
| ----------------------- | -------------------------------------------------------------- |
| `seat|{encoded email}`  | one assigned license: email, domain, label, assigned_at/by,    |
|                         | last_seen_at, and `batch`, the assignment request that made it |
| `batch|{batch id}`      | an assignment of more seats than one transaction holds, while  |
|                         | it is being written (see `shared.licenses.seats`)              |

The license look-up (table `licenselookup`) answers the add-in's check in one request. Its
PartitionKey is the encoded email domain; its rows:

| RowKey                          | what                                                        |
| ------------------------------- | ----------------------------------------------------------- |
| `{encoded local part}|{sub id}` | a seat: status, subscription name, expires_at, last_seen,   |
|                                 | shared_mailbox                                              |
| `~auto|{sub id}`                | the subscription auto-assigns seats to this domain: status, |
|                                 | name, expires_at, the owner's tenant_id                     |

Encoded values never contain '|' or '~', so `{local}|` selects exactly one address's rows and
`~auto|` cannot collide with a seat. Every look-up value is a string: the check parses no dates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.storage.keys import decode_key, encode_key
from shared.subscriptions.model import SEAT_PREFIX, Subscription, prefix_upper_bound
from shared.timefmt import Timestamp, iso

BATCH_PREFIX = "batch|"
AUTO_PREFIX = "~auto|"
LOOKUP_SEPARATOR = "|"

MAX_LABEL_LENGTH = 100
MAX_ADDRESSES = 1000


class LicenseStatus:
    ACTIVE = "active"
    EXPIRED = "expired"


class LicenseView(BaseModel):
    """A license as API.md names it."""

    email: str
    status: str
    label: str | None
    # A shared mailbox's license also licenses the add-in's users of its domain who open it.
    shared_mailbox: bool = False
    assigned_at: Timestamp
    assigned_by: str
    last_seen_at: Timestamp | None


def odata(value: str) -> str:
    """A string literal for an OData filter."""
    return "'" + value.replace("'", "''") + "'"


def split_email(email: str) -> tuple[str, str]:
    """(local part, domain) of a normalized address."""
    local, _, domain = email.rpartition("@")
    return local, domain


# --- seats -------------------------------------------------------------------------------


def seat_key(email: str) -> str:
    return SEAT_PREFIX + encode_key(email)


SEAT_RANGE = (SEAT_PREFIX, prefix_upper_bound(SEAT_PREFIX))
BATCH_RANGE = (BATCH_PREFIX, prefix_upper_bound(BATCH_PREFIX))
# The columns a License needs; queries select only these.
SEAT_COLUMNS = [
    "RowKey",
    "email",
    "label",
    "shared_mailbox",
    "assigned_at",
    "assigned_by",
    "last_seen_at",
]


def seat_entity(
    subscription_id: str,
    email: str,
    *,
    label: str | None,
    assigned_at: datetime,
    assigned_by: str,
    batch: str,
    shared_mailbox: bool = False,
) -> dict[str, Any]:
    return {
        "PartitionKey": subscription_id,
        "RowKey": seat_key(email),
        "email": email,
        "domain": split_email(email)[1],
        "label": label or "",
        "shared_mailbox": shared_mailbox,
        "assigned_at": assigned_at,
        "assigned_by": assigned_by,
        "batch": batch,
    }


def license_status(subscription: Subscription) -> str:
    """`active` while the subscription's licenses work (active, past_due); a pending
    subscription's seats do not work yet, and an expired one's no longer do."""
    if subscription.status.licenses_work:
        return LicenseStatus.ACTIVE
    return LicenseStatus.EXPIRED


def license_document(
    seat: Any, status: str, stamps: dict[datetime, str] | None = None
) -> dict[str, Any]:
    """The License as a JSON-ready dict: listing a thousand skips building models.

    `stamps` remembers formatted times across calls: seats assigned together share theirs.
    """
    memo = stamps if stamps is not None else {}
    last_seen = seat.get("last_seen_at")
    return {
        "email": seat["email"],
        "status": status,
        "label": seat.get("label") or None,
        "shared_mailbox": bool(seat.get("shared_mailbox")),
        "assigned_at": _stamp(seat["assigned_at"], memo),
        "assigned_by": seat.get("assigned_by") or "",
        "last_seen_at": _stamp(last_seen, memo) if last_seen is not None else None,
    }


def _stamp(moment: datetime, memo: dict[datetime, str]) -> str:
    text = memo.get(moment)
    if text is None:
        text = memo[moment] = iso(moment)
    return text


# --- the look-up -------------------------------------------------------------------------


def lookup_partition(domain: str) -> str:
    return encode_key(domain)


def lookup_prefix(local: str) -> str:
    """Every look-up row of one address (one per subscription) starts with this."""
    return encode_key(local) + LOOKUP_SEPARATOR


def lookup_key(email: str, subscription_id: str) -> tuple[str, str]:
    local, domain = split_email(email)
    return lookup_partition(domain), lookup_prefix(local) + subscription_id


def email_of_lookup(partition_key: str, row_key: str) -> tuple[str, str]:
    """(email, subscription id) of a seat's look-up row."""
    local, _, subscription_id = row_key.rpartition(LOOKUP_SEPARATOR)
    return f"{decode_key(local)}@{decode_key(partition_key)}", subscription_id


def auto_key(subscription_id: str) -> str:
    return AUTO_PREFIX + subscription_id


def lookup_fields(subscription: Subscription) -> dict[str, str]:
    """What every look-up row of a subscription says about it."""
    end = subscription.current_period_end
    return {
        "status": subscription.status.value,
        "subscription": subscription.name,
        "expires_at": iso(end) if end is not None else "",
    }


def lookup_entity(
    subscription: Subscription,
    email: str,
    last_seen: str | None = None,
    *,
    shared_mailbox: bool = False,
) -> dict[str, Any]:
    partition_key, row_key = lookup_key(email, subscription.id)
    entity: dict[str, Any] = {"PartitionKey": partition_key, "RowKey": row_key}
    entity.update(lookup_fields(subscription))
    entity["shared_mailbox"] = shared_mailbox
    if last_seen is not None:
        entity["last_seen"] = last_seen
    return entity


def auto_entity(subscription: Subscription, domain: str) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": lookup_partition(domain),
        "RowKey": auto_key(subscription.id),
        "tenant_id": subscription.owner.tenant_id,
    }
    entity.update(lookup_fields(subscription))
    return entity


def day(moment: datetime) -> str:
    """The UTC date a last-seen mark is kept at."""
    return moment.astimezone(UTC).date().isoformat()
