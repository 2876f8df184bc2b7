"""Changing a subscription: rename, seat quantity (billed pro rata), billing portal, invoices.

A quantity change has two systems to keep in step: Stripe bills the new quantity, and the
record guards the seats against it. Changes of one subscription's quantity are therefore
serialized by a short lease (`lock|quantity`, taken with an ETag in the subscription's
partition): the holder changes Stripe, then writes the record, its activity row and the lease's
release in one transaction guarded by the record's ETag. Without the lease, two changes could
reach Stripe in one order and the record in the other. When the change cannot be written after
Stripe took it (seats were assigned meanwhile, or the write keeps losing), Stripe is set back.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TransactionOperation, UpdateMode

from shared.billing.gateway import Invoice, payments_gateway
from shared.errors import Conflict, Problem, field_error
from shared.identity.principal import Principal
from shared.licenses.sync import request_lookup_sync
from shared.paging import decode_cursor, encode_cursor
from shared.services import Services
from shared.subscriptions.access import authorize
from shared.subscriptions.activity import activity_row
from shared.subscriptions.model import Permission, Status, Subscription
from shared.subscriptions.store import (
    ConcurrentChange,
    Operation,
    get_subscription,
    record_update,
    retry_on_conflict,
    submit,
    subscriptions_table,
)
from shared.subscriptions.views import SubscriptionView, subscription_view

logger = logging.getLogger(__name__)

QUANTITY_LOCK_ROW = "lock|quantity"
# Longer than a Stripe call can take with its timeout and one retry (stripe_gateway), so a
# lease only expires when its holder died.
QUANTITY_LEASE = timedelta(seconds=60)
INVOICE_CURSOR_PREFIX = "invoice|"
# How long a preview's price holds: Stripe prorates from any date in the period, but a change
# billed from an old date would charge for time already used differently.
PRORATION_DATE_MAX_AGE = timedelta(hours=1)


def below_assigned(assigned: int) -> Conflict:
    return Conflict(
        f"{assigned} seats are assigned; unassign licenses before lowering the quantity",
        code="quantity_below_assigned",
        assigned=assigned,
    )


def change_subscription(
    services: Services,
    principal: Principal,
    subscription_id: str,
    *,
    name: str | None,
    quantity: int | None,
    proration_date: int | None = None,
) -> SubscriptionView:
    """Rename (owner) and/or change the seat count (`quantity`); returns the caller's view.

    With `proration_date` (a preview's), the change is billed exactly as previewed."""
    if proration_date is not None:
        _check_proration_date(services, proration_date, quantity)
    subscription, access = authorize(
        services,
        principal,
        subscription_id,
        need=Permission.QUANTITY if quantity is not None else Permission.VIEW,
        owner_only=name is not None,
    )
    if quantity is not None and quantity != subscription.quantity:
        subscription = _change_quantity(
            services, principal, subscription, quantity, name, proration_date
        )
    elif name is not None and name != subscription.name:
        subscription = _rename(services, principal, subscription, name)
    return subscription_view(subscription, access)


def _check_proration_date(services: Services, proration_date: int, quantity: int | None) -> None:
    if quantity is None:
        raise field_error("proration_date", "is allowed only with quantity")
    now = int(services.clock().timestamp())
    if proration_date > now:
        raise field_error("proration_date", "is in the future; use the preview's")
    if proration_date < now - int(PRORATION_DATE_MAX_AGE.total_seconds()):
        raise field_error(
            "proration_date", "is more than an hour old; preview the change again for its price"
        )


@dataclass(frozen=True)
class QuantityPreviewResult:
    quantity: int
    currency: str
    amount_due_now: int
    next_recurring_amount: int
    proration_date: int


def preview_quantity(
    services: Services, principal: Principal, subscription_id: str, quantity: int
) -> QuantityPreviewResult:
    """What changing the seat count would charge now and every period after; charges nothing.

    Refused as the change itself would be (`quantity`, not below the assigned seats, an active
    or past-due subscription)."""
    subscription, _ = authorize(services, principal, subscription_id, need=Permission.QUANTITY)
    _check_quantity(subscription, quantity)
    proration_date = int(services.clock().timestamp())
    gateway = payments_gateway(services)
    if quantity == subscription.quantity:
        pricing = gateway.pricing()
        return QuantityPreviewResult(
            quantity=quantity,
            currency=pricing.currency,
            amount_due_now=0,
            next_recurring_amount=pricing.recurring_amount(quantity),
            proration_date=proration_date,
        )
    assert subscription.stripe_subscription_id is not None  # _check_quantity
    preview = gateway.preview_quantity(
        subscription.stripe_subscription_id, quantity, proration_date
    )
    return QuantityPreviewResult(
        quantity=quantity,
        currency=preview.currency,
        amount_due_now=preview.amount_due_now,
        next_recurring_amount=preview.next_recurring_amount,
        proration_date=proration_date,
    )


def _rename(
    services: Services, principal: Principal, first: Subscription, name: str
) -> Subscription:
    read = _Reader(services, first)

    def attempt() -> Subscription:
        current = read()
        if current.name == name:
            return current
        updated = current.with_changes(name=name)
        submit(services, [record_update(updated), _renamed(services, principal, current, name)])
        return updated

    updated = retry_on_conflict(attempt)
    request_lookup_sync(services, updated.id)
    return updated


def _renamed(
    services: Services, principal: Principal, current: Subscription, name: str
) -> Operation:
    return (
        TransactionOperation.CREATE,
        activity_row(
            current.id,
            at=services.clock(),
            actor=principal.actor,
            action="subscription_renamed",
            target=name,
            detail=f"{current.name} → {name}",
        ),
    )


class _Reader:
    """The subscription: the copy already in hand on the first call, a fresh read after."""

    def __init__(self, services: Services, first: Subscription) -> None:
        self.services = services
        self.subscription_id = first.id
        self.first: Subscription | None = first

    def __call__(self) -> Subscription:
        if self.first is not None:
            current, self.first = self.first, None
            return current
        return get_subscription(self.services, self.subscription_id)


def _check_quantity(subscription: Subscription, quantity: int) -> None:
    if quantity < subscription.assigned:
        raise below_assigned(subscription.assigned)
    if subscription.status not in (Status.ACTIVE, Status.PAST_DUE) or not (
        subscription.stripe_subscription_id
    ):
        raise Conflict(
            f"the seat count of a {subscription.status.value} subscription cannot change",
            code="subscription_not_active",
        )


def _change_quantity(
    services: Services,
    principal: Principal,
    subscription: Subscription,
    quantity: int,
    name: str | None,
    proration_date: int | None,
) -> Subscription:
    _check_quantity(subscription, quantity)
    lease = retry_on_conflict(lambda: _take_lease(services, subscription.id))
    changed_stripe = False
    recorded = False
    before = subscription
    try:
        before = get_subscription(services, subscription.id)
        if before.quantity == quantity:  # another request made this very change meanwhile
            lease.give_back(services)
            lease.released = True
            if name is not None and name != before.name:
                return _rename(services, principal, before, name)
            return before
        _check_quantity(before, quantity)
        assert before.stripe_subscription_id is not None
        payments_gateway(services).update_quantity(
            before.stripe_subscription_id,
            quantity,
            f"smm-quantity-{before.id}-{lease.token}",
            proration_date,
        )
        changed_stripe = True
        read = _Reader(services, before)

        def attempt() -> Subscription:
            current = read()
            # Seats assigned or a cancellation from Stripe since the lease was taken.
            _check_quantity(current, quantity)
            updated = current.with_changes(quantity=quantity, name=name or current.name)
            operations: list[Operation] = [
                record_update(updated),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        current.id,
                        at=services.clock(),
                        actor=principal.actor,
                        action="quantity_changed",
                        detail=f"{before.quantity} → {quantity}",
                    ),
                ),
                lease.release(),
            ]
            if name is not None and name != current.name:
                operations.append(_renamed(services, principal, current, name))
            submit(services, operations)
            return updated

        updated = retry_on_conflict(attempt)
        lease.released = recorded = True
    finally:
        # Whatever stopped the change (a 409, storage, a bug), Stripe must not keep it alone.
        if changed_stripe and not recorded:
            _set_back(services, before, lease.token)
        if not lease.released:
            lease.give_back(services)
    if name is not None and name != before.name:
        request_lookup_sync(services, updated.id)
    logger.info("subscription %s: quantity %s → %s", updated.id, before.quantity, quantity)
    return updated


def _set_back(services: Services, before: Subscription, token: str) -> None:
    """Undo a Stripe quantity change that the record could not take."""
    assert before.stripe_subscription_id is not None
    try:
        payments_gateway(services).update_quantity(
            before.stripe_subscription_id, before.quantity, f"smm-quantity-{before.id}-{token}-undo"
        )
    except Problem:
        # The webhook's customer.subscription.updated brings the record to Stripe's quantity.
        logger.error(
            "subscription %s: could not set Stripe's quantity back to %s",
            before.id,
            before.quantity,
        )


@dataclass
class _Lease:
    subscription_id: str
    token: str
    etag: str
    released: bool = False

    def release(self) -> Operation:
        """The transaction operation that ends the lease, if it is still ours."""
        return (
            TransactionOperation.DELETE,
            {"PartitionKey": self.subscription_id, "RowKey": QUANTITY_LOCK_ROW},
            {"etag": self.etag, "match_condition": MatchConditions.IfNotModified},
        )

    def give_back(self, services: Services) -> None:
        try:
            subscriptions_table(services).delete_entity(
                self.subscription_id,
                QUANTITY_LOCK_ROW,
                etag=self.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except AzureError:
            logger.warning("could not end the quantity lease of %s", self.subscription_id)


def _take_lease(services: Services, subscription_id: str) -> _Lease:
    """The quantity lease of the subscription, or ConcurrentChange while another holds it."""
    table = subscriptions_table(services)
    now = services.clock()
    token = secrets.token_hex(8)
    entity = {
        "PartitionKey": subscription_id,
        "RowKey": QUANTITY_LOCK_ROW,
        "token": token,
        "expires_at": now + QUANTITY_LEASE,
    }
    try:
        metadata = table.create_entity(entity)
    except ResourceExistsError:
        try:
            held = table.get_entity(subscription_id, QUANTITY_LOCK_ROW)
        except ResourceNotFoundError:
            raise ConcurrentChange("the quantity lease was just given back") from None
        if _still_held(held["expires_at"], now):
            raise ConcurrentChange("the quantity lease is held") from None
        try:
            metadata = table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=held.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            raise ConcurrentChange("the quantity lease was taken") from None
    return _Lease(subscription_id, token, metadata["etag"])


def _still_held(expires_at: datetime, now: datetime) -> bool:
    return expires_at > now


# --- billing portal and invoices --------------------------------------------------------


def billing_portal_url(services: Services, principal: Principal, subscription_id: str) -> str:
    subscription, _ = authorize(services, principal, subscription_id, need=Permission.BILLING)
    if not subscription.stripe_customer_id:
        raise Conflict(
            "the subscription has no billing account until its checkout completes",
            code="no_billing_account",
        )
    portal = services.settings.portal_origin
    return payments_gateway(services).billing_portal(
        subscription.stripe_customer_id, f"{portal}/subscriptions/{subscription.id}"
    )


@dataclass(frozen=True)
class InvoicePageResult:
    items: list[Invoice]
    next_cursor: str | None


def list_invoices(
    services: Services,
    principal: Principal,
    subscription_id: str,
    limit: int,
    cursor: str | None,
) -> InvoicePageResult:
    subscription, _ = authorize(services, principal, subscription_id, need=Permission.BILLING)
    after = (
        decode_cursor(cursor, INVOICE_CURSOR_PREFIX).removeprefix(INVOICE_CURSOR_PREFIX)
        if cursor
        else None
    )
    if not subscription.stripe_customer_id:
        return InvoicePageResult(items=[], next_cursor=None)
    page = payments_gateway(services).list_invoices(
        subscription.stripe_customer_id, subscription.stripe_subscription_id, limit, after
    )
    next_cursor = encode_cursor(INVOICE_CURSOR_PREFIX + page.after) if page.after else None
    return InvoicePageResult(items=page.items, next_cursor=next_cursor)
