"""Local payments: Stripe's part played on this machine when STRIPE_SECRET_KEY is unset.

Checkout answers with a local page (`/api/dev/checkout/{session_id}`); paying there builds the
events a real purchase sends (checkout.session.completed, customer.subscription.created,
invoice.paid), in the shape of the API version the `stripe` package pins, signs each with
STRIPE_WEBHOOK_SECRET exactly as Stripe does, and hands them to the same webhook code as real
deliveries. Quantity changes, the billing portal and invoices have local counterparts, and
`play` sends the events of a failed or recovered payment, a cancellation or a renewal.

What local Stripe knows lives in the directory table, in partitions of its own:

| PartitionKey                   | RowKey                       | what                          |
| ------------------------------ | ---------------------------- | ----------------------------- |
| `localpay|session|{id}`        | `session`                    | a checkout session            |
| `localpay|subscription|{id}`   | `subscription`               | a Stripe subscription object  |
| `localpay|customer|{id}`       | `invoice|{inverted t}|{id}`  | an invoice, newest first      |
"""

from __future__ import annotations

import calendar
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeVar
from urllib.parse import quote

import stripe
from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.billing.errors import PaymentRejected
from shared.billing.gateway import (
    CheckoutRequest,
    CheckoutSession,
    Invoice,
    InvoiceList,
    PriceTier,
    Pricing,
    QuantityPreview,
)
from shared.billing.webhook import CHECKOUT_COMPLETED, CHECKOUT_EXPIRED, Outcome, handle_webhook
from shared.errors import Conflict, NotFound
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.storage.keys import encode_key
from shared.subscriptions.model import prefix_upper_bound
from shared.subscriptions.store import ConcurrentChange, get_subscription, retry_on_conflict

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOCAL_PRICE_ID = "price_local_seat"
CURRENCY = "eur"
# The volume tiers of docs/deploy.md: every seat costs the price of the tier the total reaches.
PRICE_TIERS = ((9, 500), (None, 400))

_SESSION = "localpay|session|"
_SUBSCRIPTION = "localpay|subscription|"
_CUSTOMER = "localpay|customer|"
_INVOICE = "invoice|"
_MAX_SECONDS = 10**12

_pages = Environment(
    loader=PackageLoader("shared.billing", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class LocalEvent(StrEnum):
    """What `POST /api/dev/subscriptions/{id}/events` can play, like `stripe trigger`."""

    PAYMENT_FAILED = "payment_failed"
    PAYMENT_RECOVERED = "payment_recovered"
    CANCELED = "canceled"
    RENEWED = "renewed"


LOCAL_PRICING = Pricing(
    currency=CURRENCY,
    interval="month",
    tiers=tuple(PriceTier(up_to=up_to, unit_amount=amount) for up_to, amount in PRICE_TIERS),
)


def unit_amount(quantity: int) -> int:
    return LOCAL_PRICING.unit_amount(quantity)


def proration_amount(
    old_quantity: int, new_quantity: int, period_start: int, period_end: int, at: int
) -> int:
    """What a seat change at `at` costs for the rest of the period, as Stripe prorates: a
    credit for the old quantity's unused time and a charge for the new one's, each rounded to
    the minor unit. Negative when seats are removed."""
    at = min(max(at, period_start), period_end)
    remaining = Fraction(period_end - at, max(period_end - period_start, 1))
    credit = round(LOCAL_PRICING.recurring_amount(old_quantity) * remaining)
    charge = round(LOCAL_PRICING.recurring_amount(new_quantity) * remaining)
    return charge - credit


def format_amount(cents: int, currency: str = CURRENCY) -> str:
    return f"{cents / 100:,.2f} {currency.upper()}"


def add_month(moment: datetime) -> datetime:
    """The same day of the next month (or its last day), as Stripe bills monthly."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _new_id(prefix: str) -> str:
    return f"{prefix}_local_{secrets.token_hex(12)}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# --- Stripe-shaped objects and events ---------------------------------------------------


def subscription_object(
    *,
    stripe_subscription_id: str,
    customer_id: str,
    item_id: str,
    status: str,
    quantity: int,
    period_start: int,
    period_end: int,
    created: int,
    metadata: dict[str, str],
    description: str | None = None,
) -> dict[str, Any]:
    """A Stripe subscription object (API version 2025-03-31.basil and later: periods on items)."""
    return {
        "id": stripe_subscription_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "created": created,
        "start_date": created,
        "description": description,
        "collection_method": "charge_automatically",
        "currency": CURRENCY,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "ended_at": None,
        "livemode": False,
        "metadata": dict(metadata),
        "items": {
            "object": "list",
            "data": [
                {
                    "id": item_id,
                    "object": "subscription_item",
                    "subscription": stripe_subscription_id,
                    "quantity": quantity,
                    "current_period_start": period_start,
                    "current_period_end": period_end,
                    "price": {
                        "id": LOCAL_PRICE_ID,
                        "object": "price",
                        "currency": CURRENCY,
                        "billing_scheme": "tiered",
                        "tiers_mode": "volume",
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                }
            ],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={stripe_subscription_id}",
        },
    }


def invoice_object(
    *,
    invoice_id: str,
    number: str,
    customer_id: str,
    stripe_subscription_id: str,
    metadata: dict[str, str],
    quantity: int,
    created: int,
    period_start: int,
    period_end: int,
    status: str,
    billing_reason: str,
    hosted_invoice_url: str,
) -> dict[str, Any]:
    """A Stripe invoice object (API version 2025-03-31.basil and later: `parent`)."""
    amount = quantity * unit_amount(quantity)
    paid = status == "paid"
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer_id,
        "number": number,
        "status": status,
        "created": created,
        "currency": CURRENCY,
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "subtotal": amount,
        "total": amount,
        "attempt_count": 1,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "period_start": period_start,
        "period_end": period_end,
        "hosted_invoice_url": hosted_invoice_url,
        "invoice_pdf": None,
        "livemode": False,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "subscription": stripe_subscription_id,
                "metadata": dict(metadata),
            },
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": _new_id("il"),
                    "object": "line_item",
                    "amount": amount,
                    "currency": CURRENCY,
                    "description": f"{quantity} × SecureMailMerge seat",
                    "quantity": quantity,
                    "period": {"start": period_start, "end": period_end},
                }
            ],
            "has_more": False,
        },
    }


def event_object(
    event_type: str,
    obj: dict[str, Any],
    created: int,
    previous_attributes: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or _new_id("evt"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": data,
    }


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends: t=…,v1=HMAC-SHA256(secret, "{t}.{payload}")
    (https://docs.stripe.com/webhooks#verify-manually)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return str(stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, moment))


def deliver(services: Services, event: dict[str, Any]) -> Outcome:
    """Sign an event with the webhook secret and hand it to the webhook's own code path."""
    payload = json.dumps(event).encode()
    header = signature_header(payload, services.settings.webhook_secret)
    return handle_webhook(services, payload, header)


# --- the gateway ------------------------------------------------------------------------


class LocalPayments:
    """The payment gateway without Stripe: what it would hold, kept in the directory table."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def table(self) -> TableClient:
        return self.services.storage.table(DIRECTORY_TABLE)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = _new_id("cs")
        self.table.create_entity(
            {
                "PartitionKey": _SESSION + session_id,
                "RowKey": "session",
                "subscription_id": request.subscription_id,
                "name": request.name,
                "quantity": request.quantity,
                "customer_email": request.owner_email,
                "metadata": json.dumps(request.metadata),
                "success_url": request.success_url,
                "cancel_url": request.cancel_url,
                "status": "open",
                "created": self.services.clock(),
            }
        )
        portal = self.services.settings.portal_origin
        return CheckoutSession(id=session_id, url=f"{portal}/api/dev/checkout/{session_id}")

    def pricing(self) -> Pricing:
        return LOCAL_PRICING

    def preview_quantity(
        self, stripe_subscription_id: str, quantity: int, proration_date: int
    ) -> QuantityPreview:
        state = self._subscription(stripe_subscription_id)
        return QuantityPreview(
            currency=CURRENCY,
            amount_due_now=max(self._proration(state, quantity, proration_date), 0),
            next_recurring_amount=LOCAL_PRICING.recurring_amount(quantity),
        )

    def _proration(self, state: LocalSubscription, quantity: int, at: int) -> int:
        item = state.item
        return proration_amount(
            int(item["quantity"]),
            quantity,
            int(item["current_period_start"]),
            int(item["current_period_end"]),
            at,
        )

    def update_quantity(
        self,
        stripe_subscription_id: str,
        quantity: int,
        idempotency_key: str,
        proration_date: int | None = None,
    ) -> None:
        """Stripe's seat item takes the new quantity, and the prorated difference is invoiced
        and paid at once (`always_invoice`), as `preview_quantity` showed. Stripe would also
        send customer.subscription.updated and the invoice's events, usually after our record
        is written; local payments leaves them out (the record holds the quantity already) and
        carries the quantity in every later event."""
        invoices: list[dict[str, Any]] = []

        def change(state: LocalSubscription) -> bool:
            invoices.clear()
            if state.row.get("last_idempotency_key") == idempotency_key:
                return False  # a replay: Stripe answers it without changing anything again
            if state.stripe_status in ("canceled", "incomplete_expired"):
                raise PaymentRejected("a canceled subscription's quantity cannot change")
            at = proration_date if proration_date is not None else state.now
            amount = self._proration(state, quantity, at)
            if amount > 0:  # a decrease is a credit Stripe keeps on the customer's balance
                invoices.append(self._proration_invoice(state, quantity, amount, at))
            state.item["quantity"] = quantity
            state.row["last_idempotency_key"] = idempotency_key
            return True

        self._change_subscription(stripe_subscription_id, change)
        for invoice in invoices:
            self._store_invoice(invoice)

    def _proration_invoice(
        self, state: LocalSubscription, quantity: int, amount: int, at: int
    ) -> dict[str, Any]:
        invoice = self._new_invoice(state, "paid", "subscription_update")
        old_quantity = int(state.item["quantity"])
        period_end = int(state.item["current_period_end"])
        invoice.update(
            amount_due=amount,
            amount_paid=amount,
            amount_remaining=0,
            subtotal=amount,
            total=amount,
            period_start=at,
        )
        invoice["lines"]["data"] = [
            {
                "id": _new_id("il"),
                "object": "line_item",
                "amount": amount,
                "currency": CURRENCY,
                "description": f"Seats {old_quantity} → {quantity}, prorated",
                "quantity": quantity,
                "period": {"start": at, "end": period_end},
            }
        ]
        return invoice

    def billing_portal(self, customer_id: str, return_url: str) -> str:
        portal = self.services.settings.portal_origin
        return (
            f"{portal}/api/dev/billing/{quote(customer_id, safe='')}"
            f"?return_url={quote(return_url, safe='')}"
        )

    def list_invoices(
        self, customer_id: str, stripe_subscription_id: str | None, limit: int, after: str | None
    ) -> InvoiceList:
        low = after if after and after.startswith(_INVOICE) else _INVOICE
        rows = self.table.query_entities(
            "PartitionKey eq @pk and RowKey gt @low and RowKey lt @high",
            parameters={
                "pk": _CUSTOMER + encode_key(customer_id),
                "low": low,
                "high": prefix_upper_bound(_INVOICE),
            },
        )
        found: list[tuple[str, dict[str, Any]]] = []
        for row in rows:
            invoice = json.loads(row["object"])
            parent = invoice["parent"]["subscription_details"]
            if stripe_subscription_id and parent["subscription"] != stripe_subscription_id:
                continue
            found.append((row["RowKey"], invoice))
            if len(found) > limit:
                break
        page = found[:limit]
        return InvoiceList(
            items=[_invoice(invoice) for _, invoice in page],
            after=page[-1][0] if len(found) > limit else None,
        )

    # --- local Stripe's own state ---

    def _change_subscription(
        self, stripe_subscription_id: str, change: Callable[[LocalSubscription], T]
    ) -> T:
        """Read, change and write back a local Stripe subscription, guarded by its ETag; the
        change says (truthy) whether there is anything to write."""

        def attempt() -> T:
            state = self._subscription(stripe_subscription_id)
            result = change(state)
            if result:
                self._save(state)
            return result

        return retry_on_conflict(attempt)

    def _subscription(self, stripe_subscription_id: str) -> LocalSubscription:
        try:
            row = self.table.get_entity(
                _SUBSCRIPTION + encode_key(stripe_subscription_id), "subscription"
            )
        except ResourceNotFoundError:
            raise NotFound("no such subscription in local payments") from None
        return LocalSubscription(
            dict(row),
            json.loads(row["object"]),
            str(row.metadata["etag"]),
            _epoch(self.services.clock()),
        )

    def _save(self, state: LocalSubscription) -> None:
        state.row["object"] = json.dumps(state.object)
        try:
            self.table.update_entity(
                state.row,
                mode=UpdateMode.REPLACE,
                etag=state.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            raise ConcurrentChange("local subscription changed") from None

    def _store_invoice(self, invoice: dict[str, Any]) -> None:
        inverted = _MAX_SECONDS - int(invoice["created"])
        self.table.upsert_entity(
            {
                "PartitionKey": _CUSTOMER + encode_key(invoice["customer"]),
                "RowKey": f"{_INVOICE}{inverted:012d}|{invoice['id']}",
                "object": json.dumps(invoice),
            },
            mode=UpdateMode.REPLACE,
        )

    def _invoice_number(self, state: LocalSubscription) -> str:
        count = int(state.row.get("invoice_count", 0)) + 1
        state.row["invoice_count"] = count
        return f"LOCAL-{state.customer_id[-8:].upper()}-{count:04d}"

    def _hosted_url(self, customer_id: str, invoice_id: str) -> str:
        portal = self.services.settings.portal_origin
        return f"{portal}/api/dev/billing/{quote(customer_id, safe='')}#{invoice_id}"

    # --- what the local pages and dev routes do ---

    def checkout_page(self, session_id: str) -> str:
        row = self._session(session_id)
        quantity = int(row["quantity"])
        return _pages.get_template("checkout.html").render(
            session_id=session_id,
            name=row["name"],
            email=row["customer_email"],
            quantity=quantity,
            unit=format_amount(unit_amount(quantity)),
            total=format_amount(quantity * unit_amount(quantity)),
            complete=row["status"] == "complete",
            expired=row["status"] == "expired",
            cancel_url=row["cancel_url"],
            success_url=row["success_url"],
        )

    def complete_checkout(self, session_id: str) -> str:
        """Pay a local checkout: deliver the events of a real purchase; the success URL."""
        row = self._session(session_id)
        if row["status"] == "complete":
            return str(row["success_url"])
        if row["status"] == "expired":
            raise Conflict("this checkout was canceled; start a new one", code="checkout_expired")
        now = self.services.clock()
        customer_id = _new_id("cus")
        stripe_subscription_id = _new_id("sub")
        row.update(status="complete", customer_id=customer_id, subscription=stripe_subscription_id)
        try:
            # Claims the session: a second click cannot buy twice.
            self.table.update_entity(
                row,
                mode=UpdateMode.REPLACE,
                etag=row.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            raise _busy() from None

        metadata = json.loads(row["metadata"])
        quantity = int(row["quantity"])
        created = _epoch(now)
        period_start, period_end = created, _epoch(add_month(now))
        subscription = subscription_object(
            stripe_subscription_id=stripe_subscription_id,
            customer_id=customer_id,
            item_id=_new_id("si"),
            status="active",
            quantity=quantity,
            period_start=period_start,
            period_end=period_end,
            created=created,
            metadata=metadata,
            description=row["name"],
        )
        state = LocalSubscription(
            {
                "PartitionKey": _SUBSCRIPTION + encode_key(stripe_subscription_id),
                "RowKey": "subscription",
                "customer_id": customer_id,
                "last_created": created - 1,
            },
            subscription,
            etag="",
            now=created,
        )
        session_object = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": row["subscription_id"],
            "customer": customer_id,
            "customer_email": row["customer_email"],
            "customer_details": {"email": row["customer_email"]},
            "subscription": stripe_subscription_id,
            "metadata": metadata,
            "amount_total": quantity * unit_amount(quantity),
            "currency": CURRENCY,
            "success_url": row["success_url"],
            "cancel_url": row["cancel_url"],
            "livemode": False,
        }
        invoice_id = _new_id("in")
        events = [
            event_object(CHECKOUT_COMPLETED, session_object, state.next_created()),
            event_object("customer.subscription.created", subscription, state.next_created()),
        ]
        invoice = invoice_object(
            invoice_id=invoice_id,
            number=self._invoice_number(state),
            customer_id=customer_id,
            stripe_subscription_id=stripe_subscription_id,
            metadata=metadata,
            quantity=quantity,
            created=state.next_created(),
            period_start=period_start,
            period_end=period_end,
            status="paid",
            billing_reason="subscription_create",
            hosted_invoice_url=self._hosted_url(customer_id, invoice_id),
        )
        subscription["latest_invoice"] = invoice_id
        events.append(event_object("invoice.paid", invoice, int(invoice["created"])))
        state.row["object"] = json.dumps(subscription)
        try:
            self.table.create_entity(state.row)
        except ResourceExistsError:  # pragma: no cover - ids are random
            raise _busy() from None
        self._store_invoice(invoice)
        for event in events:
            deliver(self.services, event)
        logger.info("local checkout %s paid: %s", session_id, stripe_subscription_id)
        return str(row["success_url"])

    def cancel_checkout(self, session_id: str) -> str:
        """Abandon a local checkout as Stripe expires one: deliver checkout.session.expired;
        the cancel URL."""
        row = self._session(session_id)
        if row["status"] == "expired":
            return str(row["cancel_url"])
        if row["status"] == "complete":
            raise Conflict("this checkout is paid already", code="checkout_complete")
        row["status"] = "expired"
        try:
            # Claims the session against a Pay pressed at the same moment.
            self.table.update_entity(
                row,
                mode=UpdateMode.REPLACE,
                etag=row.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            raise _busy() from None
        now = _epoch(self.services.clock())
        session_object = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "expired",
            "payment_status": "unpaid",
            "client_reference_id": row["subscription_id"],
            "customer": None,
            "customer_email": row["customer_email"],
            "subscription": None,
            "metadata": json.loads(row["metadata"]),
            "expires_at": now,
            "success_url": row["success_url"],
            "cancel_url": row["cancel_url"],
            "livemode": False,
        }
        deliver(self.services, event_object(CHECKOUT_EXPIRED, session_object, now))
        logger.info("local checkout %s canceled", session_id)
        return str(row["cancel_url"])

    def play(self, subscription_id: str, kind: LocalEvent) -> list[dict[str, Any]]:
        """Deliver the events Stripe sends for `kind`; returns them, in delivery order."""
        subscription = get_subscription(self.services, subscription_id)
        if not subscription.stripe_subscription_id:
            raise Conflict(
                "the subscription's checkout has not completed", code="subscription_not_active"
            )
        invoices: list[dict[str, Any]] = []

        def change(state: LocalSubscription) -> list[dict[str, Any]]:
            invoices.clear()
            if state.stripe_status == "canceled":
                raise Conflict("the subscription is canceled", code="subscription_canceled")
            return self._events_for(state, kind, invoices)

        events = self._change_subscription(subscription.stripe_subscription_id, change)
        for invoice in invoices:
            self._store_invoice(invoice)
        for event in events:
            deliver(self.services, event)
        return events

    def _events_for(
        self, state: LocalSubscription, kind: LocalEvent, invoices: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        obj, item = state.object, state.item
        previous: dict[str, Any] = {"status": obj["status"]}
        if kind is LocalEvent.CANCELED:
            now = _epoch(self.services.clock())
            obj.update(status="canceled", canceled_at=now, ended_at=now)
            return [
                event_object(
                    "customer.subscription.deleted",
                    obj,
                    state.next_created(),
                    previous_attributes=previous,
                )
            ]
        if kind is LocalEvent.RENEWED:
            period_start = int(item["current_period_end"])
            period_end = _epoch(add_month(datetime.fromtimestamp(period_start, UTC)))
            previous["items"] = {"data": [dict(item)]}
            item.update(current_period_start=period_start, current_period_end=period_end)
            obj["status"] = "active"
            updated = event_object(
                "customer.subscription.updated",
                obj,
                state.next_created(),
                previous_attributes=previous,
            )
            invoice = _keep(invoices, self._new_invoice(state, "paid", "subscription_cycle"))
            return [updated, event_object("invoice.paid", invoice, int(invoice["created"]))]
        if kind is LocalEvent.PAYMENT_FAILED:
            invoice = self._new_invoice(state, "open", "subscription_cycle")
            state.row["open_invoice"] = json.dumps(invoice)
            failed = event_object("invoice.payment_failed", invoice, int(invoice["created"]))
            obj["status"] = "past_due"
            _keep(invoices, invoice)
            return [
                failed,
                event_object(
                    "customer.subscription.updated",
                    obj,
                    state.next_created(),
                    previous_attributes=previous,
                ),
            ]
        # PAYMENT_RECOVERED: the open invoice is paid (or a new one, when none is open).
        open_invoice = state.row.pop("open_invoice", None)
        if open_invoice:
            invoice = json.loads(open_invoice)
            invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
            created = state.next_created()
        else:
            invoice = self._new_invoice(state, "paid", "subscription_cycle")
            created = int(invoice["created"])
        _keep(invoices, invoice)
        obj["status"] = "active"
        return [
            event_object("invoice.paid", invoice, created),
            event_object(
                "customer.subscription.updated",
                obj,
                state.next_created(),
                previous_attributes=previous,
            ),
        ]

    def _new_invoice(
        self, state: LocalSubscription, status: str, billing_reason: str
    ) -> dict[str, Any]:
        item = state.item
        invoice_id = _new_id("in")
        state.object["latest_invoice"] = invoice_id
        return invoice_object(
            invoice_id=invoice_id,
            number=self._invoice_number(state),
            customer_id=state.customer_id,
            stripe_subscription_id=str(state.object["id"]),
            metadata=state.object.get("metadata") or {},
            quantity=int(item["quantity"]),
            created=state.next_created(),
            period_start=int(item["current_period_start"]),
            period_end=int(item["current_period_end"]),
            status=status,
            billing_reason=billing_reason,
            hosted_invoice_url=self._hosted_url(state.customer_id, invoice_id),
        )

    def billing_page(self, customer_id: str, return_url: str | None) -> str:
        portal = self.services.settings.portal_origin
        invoices = self.list_invoices(customer_id, None, 100, None).items
        back = return_url if return_url and return_url.startswith(portal + "/") else portal + "/"
        return _pages.get_template("billing.html").render(
            customer_id=customer_id,
            invoices=[
                {
                    "id": invoice.id,
                    "number": invoice.number,
                    "date": invoice.created_at.strftime("%Y-%m-%d"),
                    "amount": format_amount(invoice.amount_due, invoice.currency),
                    "status": invoice.status,
                }
                for invoice in invoices
            ],
            return_url=back,
        )

    def _session(self, session_id: str) -> Any:
        if not session_id.startswith("cs_local_") or len(session_id) > 100:
            raise NotFound("no such checkout session")
        try:
            return self.table.get_entity(_SESSION + encode_key(session_id), "session")
        except ResourceNotFoundError:
            raise NotFound("no such checkout session") from None


def _busy() -> Conflict:
    return Conflict("the checkout is being completed already", code="checkout_busy")


def _keep(invoices: list[dict[str, Any]], invoice: dict[str, Any]) -> dict[str, Any]:
    invoices.append(invoice)
    return invoice


@dataclass
class LocalSubscription:
    """A local Stripe subscription: its row, its object, and the ETag it was read with."""

    row: dict[str, Any]
    object: dict[str, Any]
    etag: str
    now: int  # seconds since the epoch, by the services' clock

    @property
    def item(self) -> dict[str, Any]:
        return self.object["items"]["data"][0]  # type: ignore[no-any-return]

    @property
    def stripe_status(self) -> str:
        return str(self.object["status"])

    @property
    def customer_id(self) -> str:
        return str(self.row["customer_id"])

    def next_created(self) -> int:
        """A `created` time later than every earlier event's of this subscription, so the
        webhook's ordering sees them in the order they happened, however fast they come."""
        created = max(self.now, int(self.row.get("last_created", 0)) + 1)
        self.row["last_created"] = created
        return created


def _invoice(invoice: dict[str, Any]) -> Invoice:
    return Invoice(
        id=str(invoice["id"]),
        number=invoice.get("number"),
        created_at=datetime.fromtimestamp(int(invoice["created"]), UTC),
        amount_due=int(invoice.get("amount_due") or 0),
        currency=str(invoice.get("currency") or CURRENCY),
        status=invoice.get("status"),
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
        pdf_url=invoice.get("invoice_pdf"),
    )
