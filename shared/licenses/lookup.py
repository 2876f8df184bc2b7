"""Writes to the license look-up, which lives in other partitions than the seats it mirrors.

Every write here comes after the seat change it follows has committed, and is allowed to fail:
the reconciliation (`shared.licenses.reconcile`) brings the look-up back in line with the seats
within one timer cycle.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from shared.licenses.model import auto_entity, lookup_entity, lookup_key, lookup_partition
from shared.services import Services
from shared.storage.clients import LICENSE_LOOKUP_TABLE
from shared.subscriptions.model import Subscription
from shared.subscriptions.store import MAX_TRANSACTION_OPERATIONS

logger = logging.getLogger(__name__)

# How long a process trusts having seen no auto-assign rows in a domain: an unlicensed user's
# check then costs one request, and a domain listed elsewhere takes effect within this time.
AUTO_ABSENCE_TTL = timedelta(seconds=60)
_AUTO_ABSENCE_GATEWAY = "auto_assign_absence"
_AUTO_ABSENCE_MAX = 10_000


class AutoAssignAbsence:
    """Look-up partitions (domains) this process recently found without auto-assign rows."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}

    def known(self, partition: str, now: datetime) -> bool:
        until = self._until.get(partition)
        return until is not None and now < until

    def remember(self, partition: str, now: datetime) -> None:
        if len(self._until) >= _AUTO_ABSENCE_MAX:
            self._until.clear()
        self._until[partition] = now + AUTO_ABSENCE_TTL

    def forget(self, partitions: Iterable[str]) -> None:
        for partition in partitions:
            self._until.pop(partition, None)


def auto_assign_absence(services: Services) -> AutoAssignAbsence:
    return services.gateway(_AUTO_ABSENCE_GATEWAY, lambda _: AutoAssignAbsence())


def lookup_table(services: Services) -> TableClient:
    return services.storage.table(LICENSE_LOOKUP_TABLE)


def _by_partition(entities: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entity in entities:
        groups[entity["PartitionKey"]].append(entity)
    return groups


def upsert_lookups(services: Services, entities: Iterable[dict[str, Any]]) -> None:
    """Merge the rows in: one transaction per domain and 100 rows. Merging keeps `last_seen`."""
    table = lookup_table(services)
    for rows in _by_partition(entities).values():
        for start in range(0, len(rows), MAX_TRANSACTION_OPERATIONS):
            table.submit_transaction(
                [
                    ("upsert", row, {"mode": UpdateMode.MERGE})
                    for row in rows[start : start + MAX_TRANSACTION_OPERATIONS]
                ]
            )


def delete_lookups(services: Services, keys: Iterable[tuple[str, str]]) -> None:
    """Delete the rows; rows already gone are fine."""
    table = lookup_table(services)
    entities = ({"PartitionKey": pk, "RowKey": rk} for pk, rk in keys)
    for rows in _by_partition(entities).values():
        for start in range(0, len(rows), MAX_TRANSACTION_OPERATIONS):
            part = rows[start : start + MAX_TRANSACTION_OPERATIONS]
            try:
                table.submit_transaction([("delete", row) for row in part])
            except TableTransactionError as error:
                if error.status_code != 404:
                    raise
                # One of them was already gone: delete the rest one by one.
                for row in part:
                    table.delete_entity(row["PartitionKey"], row["RowKey"])


def delete_if_unchanged(services: Services, row: Any) -> bool:
    """Delete a row read earlier unless it was written since (then it is newer news)."""
    try:
        lookup_table(services).delete_entity(
            row["PartitionKey"],
            row["RowKey"],
            etag=row.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    except ResourceNotFoundError:
        return True
    except AzureError as error:
        if getattr(error, "status_code", None) == 412:
            return False
        raise
    return True


def after_seat_change(
    services: Services,
    subscription: Subscription,
    *,
    added: Iterable[str] = (),
    removed: Iterable[str] = (),
    shared_mailboxes: Collection[str] = (),
) -> None:
    """Mirror committed seat changes (`added` includes seats whose shared-mailbox mark
    changed, `shared_mailboxes` those of them so marked); a failure is logged and left to
    the reconciliation."""
    try:
        gone = [lookup_key(email, subscription.id) for email in removed]
        if gone:
            delete_lookups(services, gone)
        upsert_lookups(
            services,
            (
                lookup_entity(subscription, email, shared_mailbox=email in shared_mailboxes)
                for email in added
            ),
        )
    except AzureError:
        logger.warning(
            "the license look-up of %s was not updated; reconciliation will",
            subscription.id,
            exc_info=True,
        )
        from shared.licenses.sync import mark_dirty  # sync imports this module

        mark_dirty(services, subscription.id, [*added, *removed])


def write_auto_entries(
    services: Services, subscription: Subscription, removed_domains: Iterable[str] = ()
) -> None:
    """The `~auto|` rows of the subscription's domains; a failure is left to reconciliation."""
    auto_assign_absence(services).forget(
        lookup_partition(domain) for domain in subscription.auto_assign_domains
    )
    try:
        upsert_lookups(
            services, (auto_entity(subscription, d) for d in subscription.auto_assign_domains)
        )
        gone = [auto_entity(subscription, d) for d in removed_domains]
        if gone:
            delete_lookups(services, ((row["PartitionKey"], row["RowKey"]) for row in gone))
    except AzureError:
        logger.warning(
            "the auto-assign look-up of %s was not updated; reconciliation will",
            subscription.id,
            exc_info=True,
        )
        from shared.licenses.sync import mark_dirty  # sync imports this module

        mark_dirty(services, subscription.id)
