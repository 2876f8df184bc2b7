"""Subscriptions: list, read, rename, seat quantity, billing portal, invoices."""

from __future__ import annotations

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import ApiRequest, Auth, endpoint
from shared.billing.changes import (
    billing_portal_url,
    change_subscription,
    list_invoices,
    preview_quantity,
)
from shared.billing.checkout import MAX_NAME_LENGTH, MAX_QUANTITY, MIN_QUANTITY
from shared.paging import PageQuery
from shared.subscriptions.access import authorize
from shared.subscriptions.listing import subscription_page
from shared.subscriptions.views import SubscriptionPage, SubscriptionView, subscription_view
from shared.timefmt import Timestamp
from shared.validation import StrictModel, WholeNumber, name_type

bp = func.Blueprint()


class SubscriptionChange(StrictModel):
    name: name_type(MAX_NAME_LENGTH) | None = None  # type: ignore[valid-type]
    # 2.5, "5" and true are not seat counts; 25.0 is 25, as JSON Schema's integer says.
    quantity: WholeNumber | None = Field(default=None, ge=MIN_QUANTITY, le=MAX_QUANTITY)
    # Unix seconds, from a quantity preview: the change is billed exactly as previewed.
    proration_date: WholeNumber | None = Field(default=None, ge=0, le=2**40)


class QuantityPreviewBody(StrictModel):
    quantity: WholeNumber = Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)


class QuantityPreview(BaseModel):
    quantity: int
    currency: str
    amount_due_now: int
    next_recurring_amount: int
    proration_date: int


class PortalUrl(BaseModel):
    url: str


class InvoiceView(BaseModel):
    id: str
    number: str | None
    created_at: Timestamp
    amount_due: int
    currency: str
    status: str | None
    hosted_invoice_url: str | None
    pdf_url: str | None


class InvoicePage(BaseModel):
    items: list[InvoiceView]
    next_cursor: str | None


@bp.route(route="api/subscriptions", methods=["GET"])
@endpoint(
    summary="The subscriptions the caller owns or administers",
    auth=Auth.MANAGER,
    query=PageQuery,
    response=SubscriptionPage,
    errors=(400, 401, 422),
)
def list_subscriptions(request: ApiRequest) -> SubscriptionPage:
    """The subscriptions the caller can reach, newest first, a page at a time."""
    query: PageQuery = request.query
    return subscription_page(request.services, request.principal, query.limit, query.cursor)


@bp.route(route="api/subscriptions/{subscription_id}", methods=["GET"])
@endpoint(
    summary="One subscription", auth=Auth.MANAGER, response=SubscriptionView, errors=(401, 404)
)
def get_subscription(request: ApiRequest) -> SubscriptionView:
    """The subscription, as the caller sees it (`view`)."""
    subscription, access = authorize(
        request.services, request.principal, request.route("subscription_id")
    )
    return subscription_view(subscription, access)


@bp.route(route="api/subscriptions/{subscription_id}", methods=["PATCH"])
@endpoint(
    summary="Rename (owner) or change the seat count (`quantity`), billed pro rata",
    auth=Auth.MANAGER,
    body=SubscriptionChange,
    response=SubscriptionView,
    errors=(401, 403, 404, 409, 422, 502, 503),
)
def update_subscription(request: ApiRequest) -> SubscriptionView:
    """Rename the subscription and/or change its seat count."""
    body: SubscriptionChange = request.body
    return change_subscription(
        request.services,
        request.principal,
        request.route("subscription_id"),
        name=body.name,
        quantity=body.quantity,
        proration_date=body.proration_date,
    )


@bp.route(route="api/subscriptions/{subscription_id}/quantity-preview", methods=["POST"])
@endpoint(
    summary="What a seat count change would cost, charging nothing (`quantity`)",
    auth=Auth.MANAGER,
    body=QuantityPreviewBody,
    response=QuantityPreview,
    errors=(401, 403, 404, 409, 422, 502, 503),
)
def preview_subscription_quantity(request: ApiRequest) -> QuantityPreview:
    """The amount charged now (pro rata) and every period after, with its proration date."""
    body: QuantityPreviewBody = request.body
    preview = preview_quantity(
        request.services, request.principal, request.route("subscription_id"), body.quantity
    )
    return QuantityPreview.model_validate(preview, from_attributes=True)


@bp.route(route="api/subscriptions/{subscription_id}/billing-portal", methods=["POST"])
@endpoint(
    summary="A billing portal session: invoices and payment methods (`billing`)",
    auth=Auth.MANAGER,
    response=PortalUrl,
    errors=(401, 403, 404, 409, 502, 503),
)
def create_billing_portal(request: ApiRequest) -> PortalUrl:
    """The URL of a billing portal session for the subscription's customer."""
    url = billing_portal_url(request.services, request.principal, request.route("subscription_id"))
    return PortalUrl(url=url)


@bp.route(route="api/subscriptions/{subscription_id}/invoices", methods=["GET"])
@endpoint(
    summary="The subscription's invoices, newest first (`billing`)",
    auth=Auth.MANAGER,
    query=PageQuery,
    response=InvoicePage,
    errors=(400, 401, 403, 404, 502, 503),
)
def list_subscription_invoices(request: ApiRequest) -> InvoicePage:
    """A page of the subscription's invoices, from the payment provider."""
    query: PageQuery = request.query
    page = list_invoices(
        request.services,
        request.principal,
        request.route("subscription_id"),
        query.limit,
        query.cursor,
    )
    return InvoicePage(
        items=[InvoiceView.model_validate(invoice, from_attributes=True) for invoice in page.items],
        next_cursor=page.next_cursor,
    )
