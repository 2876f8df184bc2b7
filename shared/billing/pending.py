"""At most five checkouts of one owner wait for payment at once: one slot row each.

A pending subscription is a record nobody pays for yet; without a bound, a script (or a
browser's back button) could leave any number of them in the owner's list. Slots are the rows
`slot|0` … `slot|4` of the owner's partition `pending-checkout|{user id}` in the directory
table. Taking one is an insert, so two checkouts racing for the last slot cannot both win.

A slot is given back when its checkout expires or is canceled (the webhook), or when its
checkout could not be created. A completed purchase does not give it back (that would cost
the webhook a request per event); instead, when every slot is taken, each holder is read once
and a slot whose subscription left `pending` (or never came to exist, or outlived Stripe's
checkout lifetime) is taken over.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, UpdateMode

from shared.errors import Conflict, NotFound
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription

logger = logging.getLogger(__name__)

MAX_PENDING_CHECKOUTS = 5
_PARTITION = "pending-checkout|"
_SLOT = "slot|"
# A slot taken moments ago may belong to a checkout whose record is still being written.
_BEING_CREATED = timedelta(minutes=1)
# Stripe expires an unpaid Checkout Session after 24 hours
# (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at);
# past that (and a margin for the expired event's delivery) the slot is free whatever we heard.
_CHECKOUT_LIFETIME = timedelta(hours=25)


def too_many_pending() -> Conflict:
    return Conflict(
        f"at most {MAX_PENDING_CHECKOUTS} checkouts can wait for payment at once; "
        "complete or cancel one first",
        code="too_many_pending_checkouts",
        limit=MAX_PENDING_CHECKOUTS,
    )


def _table(services: Services) -> TableClient:
    return services.storage.table(DIRECTORY_TABLE)


def take_slot(services: Services, user_id: str, subscription_id: str) -> None:
    """Hold one of the owner's pending-checkout slots for the subscription; 409 when all are
    held by checkouts still waiting for payment."""
    table = _table(services)
    partition = _PARTITION + user_id
    now = services.clock()
    entity = {"PartitionKey": partition, "subscription_id": subscription_id, "taken_at": now}
    held = {
        row["RowKey"]: row
        for row in table.query_entities("PartitionKey eq @pk", parameters={"pk": partition})
    }
    for number in range(MAX_PENDING_CHECKOUTS):
        slot = f"{_SLOT}{number}"
        if slot in held:
            continue
        try:
            table.create_entity({**entity, "RowKey": slot})
            return
        except ResourceExistsError:
            continue  # another checkout of this owner took it just now
    for slot, row in sorted(held.items()):
        if not _stale(services, row, now):
            continue
        try:
            table.update_entity(
                {**entity, "RowKey": slot},
                mode=UpdateMode.REPLACE,
                etag=row.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return
        except (ResourceModifiedError, ResourceNotFoundError):
            continue  # taken over or given back by someone else meanwhile
    raise too_many_pending()


def _stale(services: Services, row: dict[str, object], now: datetime) -> bool:
    taken_at = row.get("taken_at")
    if isinstance(taken_at, datetime) and now - taken_at > _CHECKOUT_LIFETIME:
        return True
    try:
        subscription = get_subscription(services, str(row.get("subscription_id", "")))
    except NotFound:
        return not (isinstance(taken_at, datetime) and now - taken_at < _BEING_CREATED)
    return subscription.status is not Status.PENDING


def give_back_slot(services: Services, user_id: str, subscription_id: str) -> None:
    """Free the slot the subscription's checkout holds, if it still holds one."""
    table = _table(services)
    try:
        rows = list(
            table.query_entities(
                "PartitionKey eq @pk and subscription_id eq @id",
                parameters={"pk": _PARTITION + user_id, "id": subscription_id},
                select=["PartitionKey", "RowKey"],
            )
        )
        for row in rows:
            try:
                table.delete_entity(
                    row["PartitionKey"],
                    row["RowKey"],
                    etag=row.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                pass  # taken over by a newer checkout: no longer ours to free
    except AzureError:
        # The slot frees itself: the next checkout finds no pending subscription behind it.
        logger.warning("could not free the checkout slot of %s", subscription_id)
