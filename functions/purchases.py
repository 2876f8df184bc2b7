"""Purchases: checkout, and the Stripe webhook that confirms and bills subscriptions."""

from __future__ import annotations

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.billing.checkout import MAX_NAME_LENGTH, MAX_QUANTITY, MIN_QUANTITY, start_checkout
from shared.billing.webhook import WebhookReceipt, handle_webhook
from shared.validation import StrictModel

bp = func.Blueprint()


class CheckoutBody(StrictModel):
    # strict: 2.5, "5" and true are not seat counts.
    quantity: int = Field(strict=True, ge=MIN_QUANTITY, le=MAX_QUANTITY)
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_LENGTH)


class CheckoutUrl(BaseModel):
    url: str
    subscription_id: str


@bp.route(route="api/checkout", methods=["POST"])
@endpoint(
    summary="Start buying a subscription: the URL of its checkout page",
    auth=Auth.USER,
    body=CheckoutBody,
    response=CheckoutUrl,
    status=201,
    errors=(401, 403, 409, 422, 502, 503),
)
def create_checkout(request: ApiRequest) -> Reply:
    """Create a pending subscription owned by the caller and its Stripe Checkout Session."""
    body: CheckoutBody = request.body
    started = start_checkout(request.services, request.principal, body.quantity, body.name)
    return Reply(CheckoutUrl(url=started.url, subscription_id=started.subscription_id), status=201)


@bp.route(route="api/stripe/webhook", methods=["POST"])
@endpoint(
    summary="Stripe's webhook deliveries (verified by Stripe-Signature)",
    auth=Auth.WEBHOOK,
    response=WebhookReceipt,
    errors=(400,),
)
def receive_stripe_webhook(request: ApiRequest) -> WebhookReceipt:
    """Apply a Stripe event once, in Stripe's order; 400 when the signature does not verify."""
    outcome = handle_webhook(
        request.services, request.raw.get_body() or b"", request.header("stripe-signature")
    )
    return WebhookReceipt(received=True, outcome=outcome.value)
