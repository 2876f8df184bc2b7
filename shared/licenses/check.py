"""The add-in's license check: one query on the caller's domain partition of the look-up.

The query covers, in that partition, the caller's rows (`{local}|…`, one per subscription),
a shared mailbox's rows when the mailbox is in the caller's own domain, and the `~auto|` rows
of subscriptions that auto-assign seats to the domain. So a licensed user costs one storage
request, and a write at most once a day to record when the license was last used.

When nothing licenses the caller and a subscription auto-assigns to the caller's domain, the
caller gets a seat through the ordinary assignment (never beyond the quantity, with the
welcome email), provided the caller's Entra tenant is the subscription owner's: listing a
domain must not hand seats, or the names of a company's add-in users, to whoever listed it.

The look-up is written after the seats and repaired by the reconciliation, so for at most one
timer cycle after a failed write it may lag the seats.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import AzureError
from azure.data.tables import UpdateMode

from shared.errors import Conflict, NotFound
from shared.licenses.lookup import lookup_table
from shared.licenses.model import (
    AUTO_PREFIX,
    LOOKUP_SEPARATOR,
    day,
    lookup_partition,
    lookup_prefix,
    odata,
    seat_key,
    split_email,
)
from shared.licenses.seats import AUTO_ASSIGN_ACTOR, Requested, assign
from shared.services import Services
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription, subscriptions_table
from shared.timefmt import iso

logger = logging.getLogger(__name__)

WORKING = frozenset({Status.ACTIVE.value, Status.PAST_DUE.value})
# Prefer an active license to a past_due one when an address holds both.
_PREFERENCE = {Status.ACTIVE.value: 0, Status.PAST_DUE.value: 1}


def _range(prefix: str) -> str:
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return f"RowKey gt {odata(prefix)} and RowKey lt {odata(upper)}"


# Every auto-assign row starts with '~', which sorts after every character an encoded local
# part can hold: `RowKey ge '~'` selects exactly those rows. (A short filter is a cheaper
# request: its URL is encoded character by character.)
_AUTO_ROWS = f"RowKey ge {odata(AUTO_PREFIX[0])}"


def check_license(
    services: Services, email: str, tenant_id: str | None, mailbox: str | None = None
) -> dict[str, Any]:
    """API.md's answer for the caller (`email`, normalized) and an optional shared mailbox."""
    local, domain = split_email(email)
    caller_prefix = lookup_prefix(local)
    prefixes = [caller_prefix]
    mailbox_prefix = None
    if mailbox is not None and mailbox != email:
        mailbox_local, mailbox_domain = split_email(mailbox)
        # A shared mailbox counts only in the caller's own domain.
        if mailbox_domain == domain:
            mailbox_prefix = lookup_prefix(mailbox_local)
            prefixes.append(mailbox_prefix)
    ranges = " or ".join([*map(_range, prefixes), _AUTO_ROWS])
    partition = lookup_partition(domain)
    rows = list(
        lookup_table(services).query_entities(f"PartitionKey eq {odata(partition)} and ({ranges})")
    )
    own = [row for row in rows if row["RowKey"].startswith(caller_prefix)]
    shared = [row for row in rows if mailbox_prefix and row["RowKey"].startswith(mailbox_prefix)]
    for holder, candidates in ((email, own), (mailbox, shared)):
        working = [row for row in candidates if row.get("status") in WORKING]
        if working and holder is not None:
            chosen = min(working, key=lambda row: (_PREFERENCE[row["status"]], row["RowKey"]))
            _mark_seen(services, chosen, holder)
            return _licensed(holder, chosen)

    auto = [row for row in rows if row["RowKey"].startswith(AUTO_PREFIX)]
    granted = _auto_assign(services, email, tenant_id, auto)
    if granted is not None:
        return granted
    expired = any(row.get("status") == Status.EXPIRED.value for row in own + shared)
    return {"licensed": False, "email": email, "reason": "expired" if expired else "no_license"}


def _licensed(email: str, row: Any) -> dict[str, Any]:
    return {
        "licensed": True,
        "email": email,
        "status": row["status"],
        "subscription": row.get("subscription") or "",
        "expires_at": row.get("expires_at") or None,
    }


def _mark_seen(services: Services, row: Any, email: str) -> None:
    """Record the day of use on the seat and its look-up row, at most once a day."""
    now = services.clock()
    today = day(now)
    if row.get("last_seen") == today:
        return
    subscription_id = row["RowKey"].rpartition(LOOKUP_SEPARATOR)[2]
    try:
        # Updates, not upserts: a seat removed meanwhile must not come back.
        subscriptions_table(services).update_entity(
            {"PartitionKey": subscription_id, "RowKey": seat_key(email), "last_seen_at": now},
            mode=UpdateMode.MERGE,
        )
        lookup_table(services).update_entity(
            {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"], "last_seen": today},
            mode=UpdateMode.MERGE,
        )
    except AzureError as error:
        # The answer stands; the mark is tried again at the next check.
        logger.info("last use of a license not recorded (%s)", type(error).__name__)


def _auto_assign(
    services: Services, email: str, tenant_id: str | None, entries: list[Any]
) -> dict[str, Any] | None:
    for entry in sorted(entries, key=lambda row: row["RowKey"]):
        if entry.get("status") not in WORKING or not tenant_id:
            continue
        if entry.get("tenant_id") != tenant_id:
            continue
        subscription_id = entry["RowKey"][len(AUTO_PREFIX) :]
        try:
            subscription = get_subscription(services, subscription_id)
            if not subscription.status.licenses_work or subscription.available < 1:
                continue
            if split_email(email)[1] not in subscription.auto_assign_domains:
                continue
            assign(
                services,
                subscription,
                [Requested(email)],
                actor=AUTO_ASSIGN_ACTOR,
                assigned_by=subscription.owner.email,
                action="license_auto_assigned",
            )
        except (Conflict, NotFound):
            continue  # full, expired or gone since the look-up was written: try the next
        end = subscription.current_period_end
        return {
            "licensed": True,
            "email": email,
            "status": subscription.status.value,
            "subscription": subscription.name,
            "expires_at": iso(end) if end is not None else None,
        }
    return None
