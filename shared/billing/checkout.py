"""Buying a subscription: a pending record first, then the payment provider's checkout page.

The record exists before the checkout so that every Stripe event can name it (our id travels
in `client_reference_id` and in the metadata of the session and of the Stripe subscription);
the webhook makes it active once Stripe confirms the payment.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from azure.core.exceptions import AzureError
from azure.data.tables import TransactionOperation

from shared.billing.gateway import CheckoutRequest, payments_gateway
from shared.billing.pending import give_back_slot, take_slot
from shared.errors import Forbidden, Problem
from shared.identity.principal import Principal
from shared.services import Services
from shared.subscriptions.memberships import add_membership, remove_membership
from shared.subscriptions.model import RECORD_ROW, Owner, Status, Subscription
from shared.subscriptions.store import submit, subscriptions_table

logger = logging.getLogger(__name__)

MIN_QUANTITY = 1
MAX_QUANTITY = 10_000
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class CheckoutStarted:
    subscription_id: str
    url: str


def default_name(email: str) -> str:
    """A subscription is named after its owner's domain until renamed."""
    return email.rsplit("@", 1)[-1][:MAX_NAME_LENGTH]


def start_checkout(
    services: Services, principal: Principal, quantity: int, name: str | None
) -> CheckoutStarted:
    """Create the pending subscription, owned by the caller, and its checkout session."""
    if not (principal.tenant_id and principal.object_id and principal.email):
        raise Forbidden("only a signed-in person can buy a subscription")
    owner = Owner(principal.tenant_id, principal.object_id, principal.email)
    subscription_id = str(uuid.uuid4())
    take_slot(services, owner.user_id, subscription_id)
    subscription = Subscription(
        id=subscription_id,
        name=name or default_name(owner.email),
        status=Status.PENDING,
        quantity=quantity,
        assigned=0,
        owner=owner,
        created_at=services.clock(),
    )
    submit(services, [(TransactionOperation.CREATE, subscription.to_entity())])
    add_membership(services, owner.user_id, subscription.id)

    portal = services.settings.portal_origin
    request = CheckoutRequest(
        subscription_id=subscription.id,
        name=subscription.name,
        quantity=quantity,
        owner_tenant_id=owner.tenant_id,
        owner_object_id=owner.object_id,
        owner_email=owner.email,
        # Portal pages: the new subscription, or the purchase page to try again.
        success_url=f"{portal}/subscriptions/{subscription.id}?welcome=1",
        cancel_url=f"{portal}/purchase?canceled=1",
        # One key per subscription: a retried request cannot open a second session.
        idempotency_key=f"smm-checkout-{subscription.id}",
    )
    try:
        session = payments_gateway(services).create_checkout(request)
    except Problem:
        _discard(services, subscription)
        raise
    logger.info(
        "checkout %s started for subscription %s (%s seats)", session.id, subscription.id, quantity
    )
    return CheckoutStarted(subscription_id=subscription.id, url=session.url)


def _discard(services: Services, subscription: Subscription) -> None:
    """No checkout, no subscription: remove the pending record the buyer cannot pay for."""
    try:
        subscriptions_table(services).delete_entity(subscription.id, RECORD_ROW)
        remove_membership(services, subscription.owner.user_id, subscription.id)
    except AzureError:
        logger.warning("could not remove pending subscription %s", subscription.id, exc_info=True)
    give_back_slot(services, subscription.owner.user_id, subscription.id)
