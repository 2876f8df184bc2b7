"""The payment provider behind one small interface: real Stripe, or local payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.services import Services

PAYMENTS = "payments"


@dataclass(frozen=True)
class CheckoutRequest:
    """What a Checkout Session is created from: our subscription and its owner."""

    subscription_id: str
    name: str
    quantity: int
    owner_tenant_id: str
    owner_object_id: str
    owner_email: str
    success_url: str
    cancel_url: str
    idempotency_key: str

    @property
    def metadata(self) -> dict[str, str]:
        """Written on the session and on the Stripe subscription, so every event maps back."""
        return {
            "subscription_id": self.subscription_id,
            "owner_tenant_id": self.owner_tenant_id,
            "owner_object_id": self.owner_object_id,
            "owner_email": self.owner_email,
        }


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str | None
    created_at: datetime
    amount_due: int
    currency: str
    status: str | None
    hosted_invoice_url: str | None
    pdf_url: str | None


@dataclass(frozen=True)
class InvoiceList:
    items: list[Invoice]
    # Where the next page starts (the provider's own cursor), None on the last page.
    after: str | None


@dataclass(frozen=True)
class PriceTier:
    up_to: int | None  # the last tier has no upper bound
    unit_amount: int  # in the currency's minor unit


@dataclass(frozen=True)
class Pricing:
    """The seat price: volume tiers, so every seat costs the tier the quantity reaches."""

    currency: str
    interval: str
    tiers: tuple[PriceTier, ...]

    def unit_amount(self, quantity: int) -> int:
        for tier in self.tiers:
            if tier.up_to is None or quantity <= tier.up_to:
                return tier.unit_amount
        return self.tiers[-1].unit_amount

    def recurring_amount(self, quantity: int) -> int:
        return quantity * self.unit_amount(quantity)


@dataclass(frozen=True)
class QuantityPreview:
    """What a seat change would cost: charged now (pro rata), and every period after."""

    currency: str
    amount_due_now: int
    next_recurring_amount: int


class PaymentsGateway(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """A Checkout Session in subscription mode for the seat price and quantity."""

    def pricing(self) -> Pricing:
        """The seat price's currency, interval and volume tiers."""

    def preview_quantity(
        self, stripe_subscription_id: str, quantity: int, proration_date: int
    ) -> QuantityPreview:
        """What `update_quantity` with the same proration date would charge, charging nothing."""

    def update_quantity(
        self,
        stripe_subscription_id: str,
        quantity: int,
        idempotency_key: str,
        proration_date: int | None = None,
    ) -> None:
        """Change the seat count, the difference invoiced and charged now, pro rata from
        `proration_date` (default: now)."""

    def billing_portal(self, customer_id: str, return_url: str) -> str:
        """The URL of a billing portal session (invoices, payment methods)."""

    def list_invoices(
        self, customer_id: str, stripe_subscription_id: str | None, limit: int, after: str | None
    ) -> InvoiceList:
        """The invoices of the customer's subscription, newest first."""


def payments_gateway(services: Services) -> PaymentsGateway:
    """The process's payment gateway, built once (tests hand in their own with `provide`)."""
    return services.gateway(PAYMENTS, _build)


def _build(services: Services) -> PaymentsGateway:
    settings = services.settings
    if settings.local_payments:
        from shared.billing.local import LocalPayments

        return LocalPayments(services)
    from shared.billing.stripe_gateway import StripePayments, stripe_client

    # Outside local mode the settings refuse to start without the key.
    assert settings.stripe_secret_key is not None
    return StripePayments(
        stripe_client(settings.stripe_secret_key.get_secret_value()), settings.stripe_price_id
    )
