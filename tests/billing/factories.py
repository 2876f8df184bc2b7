"""Factories for billing tests: subscriptions in each state, Stripe-shaped events, deliveries."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import datetime
from typing import Any

from azure.core.pipeline.transport import RequestsTransport

from shared.billing import local
from shared.billing.webhook import Outcome, handle_webhook
from shared.email.outbox import OUTBOX_PREFIX
from shared.identity.local_users import local_user
from shared.identity.principal import Principal, PrincipalKind
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE, Storage
from shared.subscriptions.memberships import add_membership
from shared.subscriptions.model import (
    ACTIVITY_PREFIX,
    EVENT_PREFIX,
    Owner,
    Status,
    Subscription,
    prefix_upper_bound,
)
from shared.subscriptions.store import get_subscription, subscriptions_table
from tests.api_client import ApiClient

WEBHOOK_SECRET = "whsec_local_dev"
PERIOD_END = 1_900_000_000


def user(email: str) -> Principal:
    """The principal of the local-mode user of that email (as `POST /api/dev/login` makes)."""
    person = local_user(email)
    return Principal(
        PrincipalKind.USER, email=email, tenant_id=person.tenant_id, object_id=person.object_id
    )


def make_subscription(
    services: Services,
    owner_email: str = "ann@contoso.com",
    *,
    status: Status = Status.PENDING,
    quantity: int = 5,
    assigned: int = 0,
    stripe_subscription_id: str | None = None,
    stripe_customer_id: str | None = None,
    name: str = "Contoso",
) -> Subscription:
    person = local_user(owner_email)
    subscription = Subscription(
        id=str(uuid.uuid4()),
        name=name,
        status=status,
        quantity=quantity,
        assigned=assigned,
        owner=Owner(person.tenant_id, person.object_id, owner_email),
        created_at=services.clock(),
        stripe_subscription_id=stripe_subscription_id,
        stripe_customer_id=stripe_customer_id,
    )
    subscriptions_table(services).create_entity(subscription.to_entity())
    add_membership(services, subscription.owner.user_id, subscription.id)
    return get_subscription(services, subscription.id)


def bought(
    api: ApiClient, email: str = "ann@contoso.com", quantity: int = 5
) -> tuple[ApiClient, str]:
    """A signed-in owner and the id of the subscription bought through local checkout."""
    client = api.login(email)
    started = client.post("/api/checkout", json={"quantity": quantity})
    assert started.status_code == 201, started.text
    session_id = started.json()["url"].rsplit("/", 1)[1]
    paid = client.post(f"/api/dev/checkout/{session_id}/complete")
    assert paid.status_code == 303, paid.text
    return client, started.json()["subscription_id"]


# --- Stripe-shaped events ---------------------------------------------------------------


def subscription_event(
    subscription_id: str | None,
    *,
    stripe_status: str,
    created: int,
    quantity: int = 5,
    stripe_subscription_id: str = "sub_1",
    customer_id: str = "cus_1",
    event_type: str = "customer.subscription.updated",
    event_id: str | None = None,
    period_end: int = PERIOD_END,
) -> dict[str, Any]:
    metadata = {"subscription_id": subscription_id} if subscription_id else {}
    obj = local.subscription_object(
        stripe_subscription_id=stripe_subscription_id,
        customer_id=customer_id,
        item_id="si_1",
        status=stripe_status,
        quantity=quantity,
        period_start=period_end - 30 * 86400,
        period_end=period_end,
        created=created,
        metadata=metadata,
    )
    return local.event_object(event_type, obj, created, event_id=event_id or new_event_id())


def invoice_event(
    subscription_id: str | None,
    *,
    event_type: str,
    created: int,
    stripe_subscription_id: str = "sub_1",
    customer_id: str = "cus_1",
    event_id: str | None = None,
) -> dict[str, Any]:
    metadata = {"subscription_id": subscription_id} if subscription_id else {}
    obj = local.invoice_object(
        invoice_id="in_" + secrets.token_hex(6),
        number="INV-1",
        customer_id=customer_id,
        stripe_subscription_id=stripe_subscription_id,
        metadata=metadata,
        quantity=5,
        created=created,
        period_start=created,
        period_end=created + 30 * 86400,
        status="paid" if event_type == "invoice.paid" else "open",
        billing_reason="subscription_cycle",
        hosted_invoice_url="https://invoice.stripe.com/i/1",
    )
    return local.event_object(event_type, obj, created, event_id=event_id or new_event_id())


def checkout_completed_event(
    subscription_id: str,
    *,
    created: int,
    stripe_subscription_id: str = "sub_1",
    customer_id: str = "cus_1",
    event_id: str | None = None,
) -> dict[str, Any]:
    obj = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": subscription_id,
        "customer": customer_id,
        "subscription": stripe_subscription_id,
        "metadata": {"subscription_id": subscription_id},
    }
    return local.event_object(
        "checkout.session.completed", obj, created, event_id=event_id or new_event_id()
    )


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def signed(event: dict[str, Any] | bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None):  # type: ignore[no-untyped-def]
    """The body and Stripe-Signature header of a delivery."""
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    return payload, local.signature_header(
        payload, secret, at if at is not None else int(time.time())
    )


def deliver(services: Services, event: dict[str, Any]) -> Outcome:
    payload, header = signed(event)
    return handle_webhook(services, payload, header)


def post_event(api: ApiClient, event: dict[str, Any] | bytes, **kwargs: Any):  # type: ignore[no-untyped-def]
    payload, header = signed(event, **kwargs)
    return api.post(
        "/api/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


# --- reading what happened --------------------------------------------------------------


def rows(services: Services, subscription_id: str, prefix: str) -> list[Any]:
    return list(
        subscriptions_table(services).query_entities(
            "PartitionKey eq @pk and RowKey gt @low and RowKey lt @high",
            parameters={"pk": subscription_id, "low": prefix, "high": prefix_upper_bound(prefix)},
        )
    )


def outbox_templates(services: Services, subscription_id: str) -> list[str]:
    return sorted(row["template"] for row in rows(services, subscription_id, OUTBOX_PREFIX))


def event_rows(services: Services, subscription_id: str) -> list[Any]:
    return rows(services, subscription_id, EVENT_PREFIX)


def activity(services: Services, subscription_id: str) -> list[tuple[str, str]]:
    return [
        (row["action"], row["detail"]) for row in rows(services, subscription_id, ACTIVITY_PREFIX)
    ]


def email_queue_length(services: Services) -> int:
    return len(list(services.storage.queue(EMAIL_QUEUE).peek_messages(max_messages=32)))


def state(subscription: Subscription) -> tuple[Any, ...]:
    """What the webhook keeps of Stripe's state, for comparing two records."""
    return (
        subscription.status,
        subscription.quantity,
        subscription.current_period_end,
        subscription.stripe_subscription_id,
        subscription.stripe_customer_id,
        subscription.stripe_state_key,
    )


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class CountingTransport(RequestsTransport):
    """An HTTP transport that counts the storage requests sent through it."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        self.count += 1
        return super().send(request, **kwargs)


def counting_storage(connection_string: str, prefix: str) -> tuple[Storage, CountingTransport]:
    from azure.data.tables import TableServiceClient
    from azure.storage.queue import QueueServiceClient

    transport = CountingTransport()
    storage = Storage(
        TableServiceClient.from_connection_string(connection_string, transport=transport),
        QueueServiceClient.from_connection_string(connection_string, transport=transport),
        prefix=prefix,
    )
    return storage, transport
