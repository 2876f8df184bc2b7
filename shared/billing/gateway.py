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


class PaymentsGateway(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """A Checkout Session in subscription mode for the seat price and quantity."""

    def update_quantity(
        self, stripe_subscription_id: str, quantity: int, idempotency_key: str
    ) -> None:
        """Change the seat count, billed pro rata."""

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
