"""The payment gateway over the real Stripe API (the `stripe` SDK's StripeClient)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe

from shared.billing.errors import PaymentRejected, stripe_errors
from shared.billing.gateway import CheckoutRequest, CheckoutSession, Invoice, InvoiceList
from shared.errors import UpstreamUnavailable

# Well under Stripe's own 80 s default: a request that hangs this long is failing, and the
# HTTP function must answer before the host gives up on it.
STRIPE_TIMEOUT_SECONDS = 20
# The SDK retries connection errors, 409s and 5xx with the same idempotency key.
STRIPE_NETWORK_RETRIES = 1
# Stripe's list endpoints return at most 100 objects a page.
MAX_STRIPE_PAGE = 100


def stripe_client(api_key: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS),
        max_network_retries=STRIPE_NETWORK_RETRIES,
    )


class StripePayments:
    def __init__(self, client: stripe.StripeClient, price_id: str | None) -> None:
        self.client = client
        self.price_id = price_id

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        if not self.price_id:
            raise UpstreamUnavailable(
                "payments are not configured (STRIPE_PRICE_ID)", code="payments_not_configured"
            )
        params: Any = {
            "mode": "subscription",
            "line_items": [{"price": self.price_id, "quantity": request.quantity}],
            "client_reference_id": request.subscription_id,
            "customer_email": request.owner_email,
            "metadata": request.metadata,
            "subscription_data": {"metadata": request.metadata, "description": request.name},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        with stripe_errors("checkout"):
            session = self.client.v1.checkout.sessions.create(
                params, {"idempotency_key": request.idempotency_key}
            )
        # StripeObjects are not dicts (stripe 13+): read them as plain data.
        created = session.to_dict()
        if not created.get("url"):
            raise PaymentRejected("the payment provider returned no checkout page")
        return CheckoutSession(id=str(created["id"]), url=str(created["url"]))

    def update_quantity(
        self, stripe_subscription_id: str, quantity: int, idempotency_key: str
    ) -> None:
        with stripe_errors("subscription lookup"):
            subscription = self.client.v1.subscriptions.retrieve(stripe_subscription_id)
        item_id = self._seat_item(subscription.to_dict())
        params: Any = {"quantity": quantity, "proration_behavior": "create_prorations"}
        with stripe_errors("quantity update"):
            self.client.v1.subscription_items.update(
                item_id, params, {"idempotency_key": idempotency_key}
            )

    def _seat_item(self, subscription: dict[str, Any]) -> str:
        """The subscription's seat item: the one for our price, else its only item."""
        items = list(subscription["items"]["data"])
        for item in items:
            price = item.get("price") or {}
            if self.price_id and price.get("id") == self.price_id:
                return str(item["id"])
        if len(items) == 1:
            return str(items[0]["id"])
        raise PaymentRejected("the Stripe subscription has no seat item to change")

    def billing_portal(self, customer_id: str, return_url: str) -> str:
        params: Any = {"customer": customer_id, "return_url": return_url}
        with stripe_errors("billing portal"):
            session = self.client.v1.billing_portal.sessions.create(params)
        return str(session.to_dict()["url"])

    def list_invoices(
        self, customer_id: str, stripe_subscription_id: str | None, limit: int, after: str | None
    ) -> InvoiceList:
        params: Any = {"customer": customer_id, "limit": min(limit, MAX_STRIPE_PAGE)}
        if stripe_subscription_id:
            params["subscription"] = stripe_subscription_id
        if after:
            params["starting_after"] = after
        with stripe_errors("invoice list"):
            page = self.client.v1.invoices.list(params)
        listed = page.to_dict()
        items = [_invoice(invoice) for invoice in listed.get("data") or []]
        more = bool(listed.get("has_more"))
        return InvoiceList(items=items, after=items[-1].id if more and items else None)


def _invoice(invoice: dict[str, Any]) -> Invoice:
    return Invoice(
        id=str(invoice["id"]),
        number=invoice.get("number"),
        created_at=datetime.fromtimestamp(int(invoice["created"]), UTC),
        amount_due=int(invoice.get("amount_due") or 0),
        currency=str(invoice.get("currency") or ""),
        status=invoice.get("status"),
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
        pdf_url=invoice.get("invoice_pdf"),
    )
