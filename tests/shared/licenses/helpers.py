"""Reading back what the license code wrote, and the invariants every test may check."""

from __future__ import annotations

from typing import Any

from shared.licenses.lookup import lookup_table
from shared.licenses.model import BATCH_RANGE, SEAT_RANGE, email_of_lookup, odata
from shared.licenses.seats import Requested, assign
from shared.services import Services
from shared.subscriptions.model import Subscription
from shared.subscriptions.store import get_subscription, subscriptions_table

ACTOR = "owner@contoso.com"


def rows_in_range(services: Services, subscription_id: str, bounds: tuple[str, str]) -> list[Any]:
    return list(
        subscriptions_table(services).query_entities(
            f"PartitionKey eq {odata(subscription_id)} and RowKey ge {odata(bounds[0])} "
            f"and RowKey lt {odata(bounds[1])}"
        )
    )


def seat_emails(services: Services, subscription_id: str) -> set[str]:
    return {row["email"] for row in rows_in_range(services, subscription_id, SEAT_RANGE)}


def lookup_emails(services: Services, subscription_id: str) -> set[str]:
    """The addresses the look-up says hold a license of the subscription."""
    found = set()
    for row in lookup_table(services).list_entities():
        if row["RowKey"].startswith("~"):
            continue
        email, owner = email_of_lookup(row["PartitionKey"], row["RowKey"])
        if owner == subscription_id:
            found.add(email)
    return found


def outbox_rows(services: Services, subscription_id: str) -> list[Any]:
    return rows_in_range(services, subscription_id, ("outbox|", "outbox}"))


def assert_consistent(services: Services, subscription_id: str) -> Subscription:
    """At rest: the count equals the seat rows, never above the quantity, no batch open."""
    subscription = get_subscription(services, subscription_id)
    seats = rows_in_range(services, subscription_id, SEAT_RANGE)
    assert subscription.assigned == len(seats)
    assert subscription.assigned <= subscription.quantity
    assert rows_in_range(services, subscription_id, BATCH_RANGE) == []
    return subscription


def assign_emails(
    services: Services,
    subscription: Subscription,
    emails: list[str],
    label: str | None = None,
    *,
    shared_mailbox: bool = False,
) -> Any:
    return assign(
        services, subscription, [Requested(e, label, shared_mailbox) for e in emails], actor=ACTOR
    )


def addresses(count: int, domain: str = "contoso.com", prefix: str = "user") -> list[str]:
    return [f"{prefix}{index:04d}@{domain}" for index in range(count)]
