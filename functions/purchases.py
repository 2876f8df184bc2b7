"""Purchases: the price, what the portal offers, checkout, and the Stripe webhook that confirms
and bills subscriptions."""

from __future__ import annotations

from typing import Literal

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.billing.checkout import MAX_NAME_LENGTH, MAX_QUANTITY, MIN_QUANTITY, start_checkout
from shared.billing.gateway import payments_gateway
from shared.billing.webhook import WebhookReceipt, handle_webhook
from shared.identity.entra import sign_in_configured
from shared.validation import StrictModel, WholeNumber, name_type

bp = func.Blueprint()


class CheckoutBody(StrictModel):
    # 2.5, "5" and true are not seat counts; 25.0 is 25, as JSON Schema's integer says.
    quantity: WholeNumber = Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)
    name: name_type(MAX_NAME_LENGTH) | None = None  # type: ignore[valid-type]


class CheckoutUrl(BaseModel):
    url: str
    subscription_id: str


class Tier(BaseModel):
    up_to: int | None
    unit_amount: int


class PricingView(BaseModel):
    currency: str
    interval: str
    tiers: list[Tier]


class PortalConfig(BaseModel):
    local_mode: bool
    sign_in: list[Literal["microsoft", "local"]]


@bp.route(route="api/pricing", methods=["GET"])
@endpoint(
    summary="The seat price: currency, interval and volume tiers (no sign-in)",
    auth=Auth.PUBLIC,
    response=PricingView,
    errors=(502, 503),
)
def get_pricing(request: ApiRequest) -> PricingView:
    """The live price's volume tiers, in the currency's minor unit."""
    pricing = payments_gateway(request.services).pricing()
    return PricingView(
        currency=pricing.currency,
        interval=pricing.interval,
        tiers=[Tier(up_to=tier.up_to, unit_amount=tier.unit_amount) for tier in pricing.tiers],
    )


@bp.route(route="api/portal-config", methods=["GET"])
@endpoint(
    summary="What the portal offers: local mode, and the ways to sign in (no sign-in)",
    auth=Auth.PUBLIC,
    response=PortalConfig,
)
def get_portal_config(request: ApiRequest) -> PortalConfig:
    """Microsoft sign-in when the sign-in app is configured; local sign-in in local mode."""
    services = request.services
    sign_in: list[Literal["microsoft", "local"]] = []
    if sign_in_configured(services):
        sign_in.append("microsoft")
    if services.settings.dev_mode:
        sign_in.append("local")
    return PortalConfig(local_mode=services.settings.dev_mode, sign_in=sign_in)


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
