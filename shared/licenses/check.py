"""The add-in's license check: one range query on the look-up for a licensed caller.

The caller's look-up rows (`{local}|{subscription id}` in the domain's partition, one per
subscription) are one key range: a single request answers a licensed caller, with a write at
most once a day to record when the license was last used. Only a caller without a working
license costs more: the rows of a shared mailbox (counted only in the caller's own domain),
then the domain's `~auto|` rows, unless this process saw in the last minute that the domain
has none. Each is a key range too, never an `or` of ranges, which the Table service would
serve by scanning the whole domain partition
(https://learn.microsoft.com/azure/storage/tables/table-storage-design-for-query).

When nothing licenses the caller and a subscription auto-assigns to the caller's domain, the
caller gets a seat through the ordinary assignment (never beyond the quantity, with the
welcome email), provided the caller's Entra tenant is the subscription owner's: listing a
domain must not hand seats, or the names of a company's add-in users, to whoever listed it.

The look-up is written after the seats and repaired by the reconciliation, so for at most one
timer cycle after a failed write it may lag the seats.

Every answer carries a certificate (shared/certificates/issuer.py) that says the same, signed;
it costs no storage request, and its signature is reused while the answer stays the same.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import AzureError
from azure.data.tables import UpdateMode

from shared.certificates.issuer import certify
from shared.errors import Conflict, NotFound
from shared.licenses.lookup import auto_assign_absence, lookup_table
from shared.licenses.model import (
    AUTO_PREFIX,
    LOOKUP_SEPARATOR,
    day,
    lookup_fields,
    lookup_partition,
    lookup_prefix,
    odata,
    seat_key,
    split_email,
)
from shared.licenses.seats import AUTO_ASSIGN_ACTOR, Requested, assign
from shared.services import Services
from shared.subscriptions.limits import TooManyRequests
from shared.subscriptions.model import Status, prefix_upper_bound
from shared.subscriptions.store import get_subscription, subscriptions_table

logger = logging.getLogger(__name__)

WORKING = frozenset({Status.ACTIVE.value, Status.PAST_DUE.value})
# Prefer an active license to a past_due one when an address holds both.
_PREFERENCE = {Status.ACTIVE.value: 0, Status.PAST_DUE.value: 1}


def _rows(services: Services, partition: str, prefix: str) -> list[Any]:
    """The look-up rows whose key starts with the prefix: one range query."""
    upper = prefix_upper_bound(prefix)
    return list(
        lookup_table(services).query_entities(
            f"PartitionKey eq {odata(partition)} and RowKey gt {odata(prefix)} "
            f"and RowKey lt {odata(upper)}"
        )
    )


def _working(rows: list[Any]) -> Any | None:
    working = [row for row in rows if row.get("status") in WORKING]
    if not working:
        return None
    return min(working, key=lambda row: (_PREFERENCE[row["status"]], row["RowKey"]))


def check_license(
    services: Services, email: str, tenant_id: str | None, mailbox: str | None = None
) -> dict[str, Any]:
    """API.md's answer for the caller (`email`, normalized) and an optional shared mailbox,
    with its signed certificate."""
    answer = _answer(services, email, tenant_id, mailbox)
    answer["certificate"] = certify(services, email, tenant_id, answer)
    return answer


def _answer(
    services: Services, email: str, tenant_id: str | None, mailbox: str | None
) -> dict[str, Any]:
    local, domain = split_email(email)
    partition = lookup_partition(domain)
    own = _rows(services, partition, lookup_prefix(local))
    chosen = _working(own)
    if chosen is not None:
        _mark_seen(services, chosen, email)
        return _licensed(email, chosen)

    shared: list[Any] = []
    if mailbox is not None and mailbox != email:
        mailbox_local, mailbox_domain = split_email(mailbox)
        # A mailbox counts only in the caller's own domain, and only when its license is
        # marked a shared mailbox; the caller's use is not the mailbox's, so its last use
        # stays as it was.
        if mailbox_domain == domain:
            shared = [
                row
                for row in _rows(services, partition, lookup_prefix(mailbox_local))
                if row.get("shared_mailbox") is True
            ]
            chosen = _working(shared)
            if chosen is not None:
                return _licensed(mailbox, chosen)

    granted = _auto_assign(services, email, tenant_id, partition)
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
    services: Services, email: str, tenant_id: str | None, partition: str
) -> dict[str, Any] | None:
    if not tenant_id:
        return None
    absent = auto_assign_absence(services)
    now = services.clock()
    if absent.known(partition, now):
        return None
    entries = _rows(services, partition, AUTO_PREFIX)
    if not entries:
        absent.remember(partition, now)
        return None
    for entry in entries:
        if entry.get("status") not in WORKING:
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
        except (Conflict, NotFound, TooManyRequests):
            # Full, expired, gone since the look-up was written, or out of emails for today:
            # try the next.
            continue
        return _licensed(email, lookup_fields(subscription))
    return None
