"""The payment gateway over the real Stripe API (the `stripe` SDK's StripeClient)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe

from shared.billing.errors import PaymentRejected, stripe_errors
from shared.billing.gateway import (
    CheckoutRequest,
    CheckoutSession,
    Invoice,
    InvoiceList,
    PriceTier,
    Pricing,
    QuantityPreview,
)
from shared.errors import UpstreamUnavailable

# Well under Stripe's own 80 s default: a request that hangs this long is failing, and the
# HTTP function must answer before the host gives up on it.
STRIPE_TIMEOUT_SECONDS = 20
# The SDK retries connection errors, 409s and 5xx with the same idempotency key.
STRIPE_NETWORK_RETRIES = 1
# Stripe's list endpoints return at most 100 objects a page.
MAX_STRIPE_PAGE = 100
# The price changes rarely and is read by every visit to the purchase page.
PRICE_CACHE_SECONDS = 300
# A seat change is invoiced and charged at once, pro rata, so the buyer pays what the preview
# showed (https://docs.stripe.com/billing/subscriptions/prorations).
PRORATION_BEHAVIOR = "always_invoice"


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
        self._pricing: tuple[float, Pricing] | None = None
        self._pricing_lock = threading.Lock()

    def pricing(self) -> Pricing:
        cached = self._pricing
        if cached is not None and time.monotonic() - cached[0] < PRICE_CACHE_SECONDS:
            return cached[1]
        with self._pricing_lock:
            cached = self._pricing
            if cached is not None and time.monotonic() - cached[0] < PRICE_CACHE_SECONDS:
                return cached[1]
            if not self.price_id:
                raise UpstreamUnavailable(
                    "payments are not configured (STRIPE_PRICE_ID)", code="payments_not_configured"
                )
            params: Any = {"expand": ["tiers"]}
            with stripe_errors("price lookup"):
                price = self.client.v1.prices.retrieve(self.price_id, params)
            pricing = _pricing(price.to_dict())
            self._pricing = (time.monotonic(), pricing)
            return pricing

    def preview_quantity(
        self, stripe_subscription_id: str, quantity: int, proration_date: int
    ) -> QuantityPreview:
        item_id = self._item_of(stripe_subscription_id)
        params: Any = {
            "subscription": stripe_subscription_id,
            "subscription_details": {
                "items": [{"id": item_id, "quantity": quantity}],
                "proration_behavior": PRORATION_BEHAVIOR,
                "proration_date": proration_date,
            },
        }
        with stripe_errors("quantity preview"):
            invoice = self.client.v1.invoices.create_preview(params).to_dict()
        pricing = self.pricing()
        return QuantityPreview(
            currency=str(invoice.get("currency") or pricing.currency),
            amount_due_now=int(invoice.get("amount_due") or 0),
            next_recurring_amount=pricing.recurring_amount(quantity),
        )

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
        self,
        stripe_subscription_id: str,
        quantity: int,
        idempotency_key: str,
        proration_date: int | None = None,
    ) -> None:
        item_id = self._item_of(stripe_subscription_id)
        params: Any = {
            "items": [{"id": item_id, "quantity": quantity}],
            "proration_behavior": PRORATION_BEHAVIOR,
        }
        if proration_date is not None:
            # The preview's date: the proration is computed exactly as it was shown.
            params["proration_date"] = proration_date
        with stripe_errors("quantity update"):
            self.client.v1.subscriptions.update(
                stripe_subscription_id, params, {"idempotency_key": idempotency_key}
            )

    def _item_of(self, stripe_subscription_id: str) -> str:
        with stripe_errors("subscription lookup"):
            subscription = self.client.v1.subscriptions.retrieve(stripe_subscription_id)
        return self._seat_item(subscription.to_dict())

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


def _pricing(price: dict[str, Any]) -> Pricing:
    """Stripe's price as our tiers: a tiered price's tiers, or one tier of a per-unit price."""
    recurring = price.get("recurring") or {}
    if price.get("billing_scheme") == "tiered":
        tiers = tuple(
            PriceTier(
                up_to=int(tier["up_to"]) if tier.get("up_to") is not None else None,
                unit_amount=_amount(tier),
            )
            for tier in price.get("tiers") or []
        )
    else:
        tiers = (PriceTier(up_to=None, unit_amount=_amount(price)),)
    if not tiers or tiers[-1].up_to is not None:
        raise PaymentRejected("the seat price has no tiers to show")
    return Pricing(
        currency=str(price.get("currency") or ""),
        interval=str(recurring.get("interval") or "month"),
        tiers=tiers,
    )


def _amount(priced: dict[str, Any]) -> int:
    """A unit amount in the minor unit; a decimal one (sub-cent prices) rounded to a cent."""
    if priced.get("unit_amount") is not None:
        return int(priced["unit_amount"])
    decimal = priced.get("unit_amount_decimal")
    if decimal is None:
        raise PaymentRejected("the seat price has no unit amount")
    return int(Decimal(str(decimal)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
