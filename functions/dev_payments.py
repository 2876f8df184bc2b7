"""Local payments (DEV_MODE, no STRIPE_SECRET_KEY): the checkout page, paying or canceling it,
the billing page, and Stripe's events on demand, like `stripe trigger`."""

from __future__ import annotations

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.billing.gateway import payments_gateway
from shared.billing.local import LocalEvent, LocalPayments
from shared.errors import NotFound
from shared.services import Services
from shared.validation import StrictModel

bp = func.Blueprint()


class PlayEvent(StrictModel):
    type: LocalEvent


class DeliveredEvent(BaseModel):
    id: str
    type: str


class Delivered(BaseModel):
    delivered: list[DeliveredEvent]


class BillingPageQuery(BaseModel):
    return_url: str | None = Field(default=None, max_length=2000)


def _local(services: Services) -> LocalPayments:
    gateway = payments_gateway(services)
    if not isinstance(gateway, LocalPayments):
        raise NotFound("payments run on Stripe (STRIPE_SECRET_KEY is set)")
    return gateway


@bp.route(route="api/dev/checkout/{session_id}", methods=["GET"])
@endpoint(
    summary="Local payments: the checkout page",
    auth=Auth.PUBLIC,
    response_type="text/html",
    errors=(404,),
)
def get_dev_checkout(request: ApiRequest) -> Reply:
    """The local stand-in for Stripe's hosted checkout page."""
    page = _local(request.services).checkout_page(request.route("session_id"))
    return Reply(page, content_type="text/html")


@bp.route(route="api/dev/checkout/{session_id}/complete", methods=["POST"])
@endpoint(
    summary="Local payments: pay the checkout; 303 to its success URL",
    auth=Auth.PUBLIC,
    status=303,
    errors=(404, 409),
)
def complete_dev_checkout(request: ApiRequest) -> Reply:
    """Deliver a purchase's signed Stripe events to the webhook code, then go to success."""
    success_url = _local(request.services).complete_checkout(request.route("session_id"))
    return Reply(status=303, headers={"Location": success_url})


@bp.route(route="api/dev/checkout/{session_id}/cancel", methods=["POST"])
@endpoint(
    summary="Local payments: abandon the checkout; 303 to its cancel URL",
    auth=Auth.PUBLIC,
    status=303,
    errors=(404, 409),
)
def cancel_dev_checkout(request: ApiRequest) -> Reply:
    """Deliver a signed checkout.session.expired to the webhook code, then go to cancel."""
    cancel_url = _local(request.services).cancel_checkout(request.route("session_id"))
    return Reply(status=303, headers={"Location": cancel_url})


@bp.route(route="api/dev/subscriptions/{subscription_id}/events", methods=["POST"])
@endpoint(
    summary="Local payments: deliver a payment failure, recovery, cancellation or renewal",
    auth=Auth.PUBLIC,
    body=PlayEvent,
    response=Delivered,
    status=202,
    errors=(404, 409, 422),
)
def play_dev_events(request: ApiRequest) -> Reply:
    """Deliver the signed Stripe events of the named happening to the webhook code."""
    body: PlayEvent = request.body
    events = _local(request.services).play(request.route("subscription_id"), body.type)
    delivered = [DeliveredEvent(id=event["id"], type=event["type"]) for event in events]
    return Reply(Delivered(delivered=delivered), status=202)


@bp.route(route="api/dev/billing/{customer_id}", methods=["GET"])
@endpoint(
    summary="Local payments: the billing portal page",
    auth=Auth.PUBLIC,
    query=BillingPageQuery,
    response_type="text/html",
)
def get_dev_billing(request: ApiRequest) -> Reply:
    """The local stand-in for Stripe's Customer Portal: the customer's invoices."""
    query: BillingPageQuery = request.query
    page = _local(request.services).billing_page(request.route("customer_id"), query.return_url)
    return Reply(page, content_type="text/html")
