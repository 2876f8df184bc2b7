"""The Stripe webhook: verified, applied once per event, and independent of delivery order.

Stripe retries deliveries and does not order them
(https://docs.stripe.com/webhooks#event-ordering). So:

- Every event that changes something writes the row `event|{event id}` into the subscription's
  partition in the same transaction as the change (and as its outbox emails), guarded by the
  record's ETag: a redelivered event finds its row and changes nothing, and two concurrent
  deliveries cannot both win.
- The subscription's state (status, quantity, period end) is taken only from Stripe
  subscription objects, and only when the event's ordering key is greater than the key of the
  state the record holds (`stripe_state_key`). The key is (event.created, a rank of the status
  for events of the same second, event id): a total order, so any permutation of a history,
  with duplicates, ends in the state of the newest event, as in-order delivery does.
- An event for an unknown subscription, or with a shape we do not expect, is acknowledged
  and logged: a 5xx would make Stripe retry it for days to no end.
- `checkout.session.expired` (an abandoned checkout, or local payments' Cancel) removes the
  subscription while it is still `pending` and never linked to a Stripe subscription: its
  partition, the owner's membership row and its pending-checkout slot. After a completion it
  changes nothing; a redelivery finds no record and is acknowledged.

Storage requests per event: one query (record and event row together), one transaction, and
at most three more: the Stripe-id index on first sight, the email queue, the look-up sync.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import stripe
from azure.core import MatchConditions
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TransactionOperation, UpdateMode
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.billing.pending import give_back_slot
from shared.email.outbox import OutboxEntry, enqueue, outbox_row
from shared.errors import BadRequest
from shared.licenses.sync import request_lookup_sync
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.storage.keys import encode_key
from shared.subscriptions.activity import activity_row
from shared.subscriptions.memberships import remove_membership
from shared.subscriptions.model import EVENT_PREFIX, RECORD_ROW, Status, Subscription
from shared.subscriptions.store import (
    MAX_TRANSACTION_OPERATIONS,
    Operation,
    record_update,
    retry_on_conflict,
    submit,
    subscriptions_table,
)

logger = logging.getLogger(__name__)

STRIPE_ACTOR = "stripe"

# https://docs.stripe.com/api/subscriptions/object#subscription_object-status
STATUS_MAP = {
    "active": Status.ACTIVE,
    "trialing": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    "canceled": Status.EXPIRED,
    "unpaid": Status.EXPIRED,
    "incomplete_expired": Status.EXPIRED,
    "incomplete": Status.PENDING,
}
# Ties within one second go to the later stage of a subscription's life: `incomplete` and
# `active` of one purchase often share a second, and an ended subscription stays ended.
STATUS_RANK = {Status.PENDING: 0, Status.ACTIVE: 1, Status.PAST_DUE: 2, Status.EXPIRED: 3}
# Stripe statuses that end a subscription that was paid for (incomplete_expired never was).
ENDED_STATUSES = frozenset({"canceled", "unpaid"})

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
CHECKOUT_COMPLETED = "checkout.session.completed"
CHECKOUT_EXPIRED = "checkout.session.expired"
CHECKOUT_EVENTS = frozenset({CHECKOUT_COMPLETED, CHECKOUT_EXPIRED})
INVOICE_PAID = "invoice.paid"
INVOICE_PAYMENT_FAILED = "invoice.payment_failed"
HANDLED_EVENTS = SUBSCRIPTION_EVENTS | CHECKOUT_EVENTS | {INVOICE_PAID, INVOICE_PAYMENT_FAILED}

# The directory table's index from a Stripe subscription id to ours.
STRIPE_INDEX_PREFIX = "stripe-subscription|"
STRIPE_INDEX_ROW = "subscription"

_EVENT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")
_OUR_ID = re.compile(r"^[A-Za-z0-9\-]{1,64}$")


class Outcome(StrEnum):
    APPLIED = "applied"  # something changed (state, ids, or an email was written)
    DUPLICATE = "duplicate"  # this event was processed before
    UNCHANGED = "unchanged"  # nothing to do: older than the state we hold, or no news
    IGNORED = "ignored"  # not ours, not handled, or not in a shape we understand


class WebhookReceipt(BaseModel):
    received: bool
    outcome: str


class UnexpectedShape(Exception):
    """The event is verified but does not look like what Stripe documents."""


def handle_webhook(services: Services, payload: bytes, signature: str | None) -> Outcome:
    """Verify a delivery over its raw body, then apply the event; 400 when it is not Stripe's."""
    try:
        # The default tolerance: a signature older than 5 minutes is refused (replays).
        stripe.Webhook.construct_event(payload, signature, services.settings.webhook_secret)
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        logger.warning("refused a webhook delivery with an invalid Stripe-Signature")
        raise BadRequest(
            "the Stripe-Signature does not match the body", code="invalid_signature"
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError):
        # Signed with our secret, but not an event object.
        logger.warning("acknowledged a signed webhook delivery that is not an event object")
        return Outcome.IGNORED
    return process_event(services, json.loads(payload))


def process_event(services: Services, document: Any) -> Outcome:
    """Apply one verified Stripe event (as parsed JSON) to the subscription it is about."""
    try:
        event = StripeEvent.model_validate(document)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False)[:3]
        logger.warning("acknowledged a Stripe event of unexpected shape: %s", problems)
        return Outcome.IGNORED
    if event.type not in HANDLED_EVENTS:
        logger.info("acknowledged Stripe event %s of unhandled type %s", event.id, event.type)
        return Outcome.IGNORED
    try:
        facts = _read_event(event)
    except (UnexpectedShape, KeyError, TypeError, ValueError) as error:
        logger.warning(
            "acknowledged Stripe event %s (%s) of unexpected shape: %s", event.id, event.type, error
        )
        return Outcome.IGNORED
    subscription_id = facts.subscription_id or _indexed_subscription(
        services, facts.stripe_subscription_id
    )
    if subscription_id is None:
        logger.warning(
            "acknowledged Stripe event %s (%s) for no subscription of ours (Stripe %s)",
            event.id,
            event.type,
            facts.stripe_subscription_id,
        )
        return Outcome.IGNORED
    return retry_on_conflict(lambda: _apply(services, event, facts, subscription_id))


# --- reading an event -------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: dict[str, Any]


class StripeEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=_EVENT_ID.pattern)
    type: str = Field(max_length=200)
    created: int = Field(ge=0, lt=10**12)
    data: _Data


@dataclass(frozen=True)
class StripeState:
    """A Stripe subscription object, reduced to what the record holds."""

    stripe_status: str
    status: Status
    quantity: int
    current_period_end: datetime | None


@dataclass(frozen=True)
class EventFacts:
    """What an event says about which subscription, and what happened to it."""

    subscription_id: str | None
    stripe_subscription_id: str | None
    customer_id: str | None
    state: StripeState | None = None


def _read_event(event: StripeEvent) -> EventFacts:
    obj = event.data.object
    if event.type in SUBSCRIPTION_EVENTS:
        return _read_subscription(obj)
    if event.type in CHECKOUT_EVENTS:
        if obj.get("mode") not in (None, "subscription"):
            raise UnexpectedShape("a checkout session not in subscription mode")
        metadata = _mapping(obj.get("metadata"))
        return EventFacts(
            subscription_id=_our_id(
                obj.get("client_reference_id") or metadata.get("subscription_id")
            ),
            stripe_subscription_id=_object_id(obj.get("subscription")),
            customer_id=_object_id(obj.get("customer")),
        )
    # An invoice: where its subscription is named moved in API version 2025-03-31.basil.
    parent = _mapping(_mapping(obj.get("parent")).get("subscription_details"))
    legacy = _mapping(obj.get("subscription_details"))
    metadata = _mapping(parent.get("metadata") or legacy.get("metadata"))
    return EventFacts(
        subscription_id=_our_id(metadata.get("subscription_id")),
        stripe_subscription_id=_object_id(parent.get("subscription") or obj.get("subscription")),
        customer_id=_object_id(obj.get("customer")),
    )


def _read_subscription(obj: dict[str, Any]) -> EventFacts:
    if obj.get("object") not in (None, "subscription"):
        raise UnexpectedShape("not a subscription object")
    stripe_status = obj.get("status")
    if stripe_status not in STATUS_MAP:
        raise UnexpectedShape(f"subscription status {stripe_status!r} is not one we map")
    items = _mapping(obj.get("items")).get("data") or []
    if not isinstance(items, list):
        raise UnexpectedShape("subscription items are not a list")
    item = _mapping(items[0]) if items else {}
    # Since API version 2025-03-31.basil the quantity and period live on the item.
    quantity = item.get("quantity", obj.get("quantity"))
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise UnexpectedShape("subscription without a seat quantity")
    period_end = item.get("current_period_end", obj.get("current_period_end"))
    return EventFacts(
        subscription_id=_our_id(_mapping(obj.get("metadata")).get("subscription_id")),
        stripe_subscription_id=_object_id(obj.get("id")),
        customer_id=_object_id(obj.get("customer")),
        state=StripeState(
            stripe_status=stripe_status,
            status=STATUS_MAP[stripe_status],
            quantity=quantity,
            current_period_end=(
                datetime.fromtimestamp(int(period_end), UTC) if period_end is not None else None
            ),
        ),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _object_id(value: Any) -> str | None:
    """An expandable Stripe field: an id, or the expanded object carrying it."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _our_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _OUR_ID.match(value) else None


def state_key(created: int, status: Status, event_id: str) -> str:
    """The ordering key of a subscription state: compared as strings, newest greatest."""
    return f"{created:012d}|{STATUS_RANK[status]}|{event_id}"


# --- applying an event ------------------------------------------------------------------


@dataclass
class Decision:
    """What an event does to a subscription: its new record, activity and emails."""

    subscription: Subscription
    record_changed: bool = False
    status_changed: bool = False
    link_stripe_id: str | None = None
    activity: list[tuple[str, str]] = field(default_factory=list)  # (action, detail)
    emails: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (template, params)

    @property
    def changes_anything(self) -> bool:
        return self.record_changed or bool(self.emails)


def decide(current: Subscription, event: StripeEvent, facts: EventFacts, portal: str) -> Decision:
    """The effect of one event on a subscription, as a pure function of both."""
    decision = Decision(subscription=current)
    if (
        facts.stripe_subscription_id
        and current.stripe_subscription_id
        and facts.stripe_subscription_id != current.stripe_subscription_id
    ):
        logger.warning(
            "Stripe event %s names Stripe subscription %s, but %s is linked to %s; ignored",
            event.id,
            facts.stripe_subscription_id,
            current.id,
            current.stripe_subscription_id,
        )
        return decision
    updated = current
    if facts.stripe_subscription_id and not current.stripe_subscription_id:
        updated = updated.with_changes(stripe_subscription_id=facts.stripe_subscription_id)
        decision.link_stripe_id = facts.stripe_subscription_id
    if facts.customer_id and not current.stripe_customer_id:
        updated = updated.with_changes(stripe_customer_id=facts.customer_id)

    state = facts.state
    if state is not None:
        key = state_key(event.created, state.status, event.id)
        if key > current.stripe_state_key:
            updated = updated.with_changes(
                status=state.status,
                quantity=state.quantity,
                current_period_end=state.current_period_end,
                stripe_state_key=key,
            )
            _describe_state_change(decision, current, state, portal)
    if event.type == INVOICE_PAYMENT_FAILED:
        decision.emails.append(
            (
                "payment_failed",
                {
                    "subscription_name": current.name,
                    "billing_url": f"{portal}/subscriptions/{current.id}?section=billing",
                },
            )
        )
    decision.subscription = updated
    decision.record_changed = updated != current
    decision.status_changed = updated.status != current.status
    return decision


def _describe_state_change(
    decision: Decision, current: Subscription, state: StripeState, portal: str
) -> None:
    if state.status != current.status:
        decision.activity.append(
            ("status_changed", f"{current.status.value} → {state.status.value}")
        )
        if current.status is Status.PENDING and state.status.licenses_work:
            decision.emails.append(
                (
                    "purchase_confirmed",
                    {
                        "subscription_name": current.name,
                        "quantity": state.quantity,
                        "manage_url": f"{portal}/subscriptions/{current.id}",
                    },
                )
            )
        if state.status is Status.EXPIRED and state.stripe_status in ENDED_STATUSES:
            decision.emails.append(
                (
                    "subscription_ended",
                    {"subscription_name": current.name, "portal_url": f"{portal}/"},
                )
            )
    if state.quantity != current.quantity and current.status is not Status.PENDING:
        decision.activity.append(("quantity_changed", f"{current.quantity} → {state.quantity}"))
        if state.quantity < current.assigned:
            logger.warning(
                "subscription %s: Stripe quantity %s is below the %s assigned seats",
                current.id,
                state.quantity,
                current.assigned,
            )


def _apply(
    services: Services, event: StripeEvent, facts: EventFacts, subscription_id: str
) -> Outcome:
    event_row = EVENT_PREFIX + encode_key(event.id)
    if event.type == CHECKOUT_EXPIRED:
        # The whole partition: a pending subscription's is small, and all of it may go.
        query = "PartitionKey eq @pk"
    else:
        # Spaces around the parameters: the SDK's substitution splits the filter on them.
        query = "PartitionKey eq @pk and ( RowKey eq @record or RowKey eq @event )"
    rows = list(
        subscriptions_table(services).query_entities(
            query, parameters={"pk": subscription_id, "record": RECORD_ROW, "event": event_row}
        )
    )
    record = next((row for row in rows if row["RowKey"] == RECORD_ROW), None)
    if record is None:
        logger.warning(
            "acknowledged Stripe event %s (%s) for unknown subscription %s",
            event.id,
            event.type,
            subscription_id,
        )
        return Outcome.IGNORED
    if any(row["RowKey"] == event_row for row in rows):
        logger.info("Stripe event %s was processed before; nothing to do", event.id)
        return Outcome.DUPLICATE

    current = Subscription.from_entity(record)
    if event.type == CHECKOUT_EXPIRED:
        return _abandon_checkout(services, event, current, rows)
    decision = decide(current, event, facts, services.settings.portal_origin)
    if not decision.changes_anything:
        return Outcome.UNCHANGED
    if decision.link_stripe_id:
        # Written before the change: it only points, and the pointer is right either way.
        link_stripe_subscription(services, decision.link_stripe_id, subscription_id)

    now = services.clock()
    operations: list[Operation] = []
    if decision.record_changed:
        operations.append(record_update(decision.subscription))
    operations.append(
        (
            TransactionOperation.CREATE,
            {
                "PartitionKey": subscription_id,
                "RowKey": event_row,
                "type": event.type,
                "created": event.created,
                "received_at": now,
            },
        )
    )
    for action, detail in decision.activity:
        operations.append(
            (
                TransactionOperation.CREATE,
                activity_row(
                    subscription_id, at=now, actor=STRIPE_ACTOR, action=action, detail=detail
                ),
            )
        )
    entries: list[OutboxEntry] = []
    for template, params in decision.emails:
        entity, entry = outbox_row(
            subscription_id, to=current.owner.email, template=template, params=params, now=now
        )
        operations.append((TransactionOperation.CREATE, entity))
        entries.append(entry)
    submit(services, operations)

    enqueue(services, entries)
    if decision.status_changed:
        request_lookup_sync(services, subscription_id)
    logger.info(
        "applied Stripe event %s (%s) to %s: status %s, quantity %s",
        event.id,
        event.type,
        subscription_id,
        decision.subscription.status.value,
        decision.subscription.quantity,
    )
    return Outcome.APPLIED


def _abandon_checkout(
    services: Services, event: StripeEvent, current: Subscription, rows: list[Any]
) -> Outcome:
    """Remove a subscription whose checkout expired unpaid: nothing of it stays behind."""
    if current.status is not Status.PENDING or current.stripe_subscription_id:
        logger.info(
            "Stripe event %s: checkout of %s expired after it was paid; nothing to do",
            event.id,
            current.id,
        )
        return Outcome.UNCHANGED
    others = [row for row in rows if row["RowKey"] != RECORD_ROW]
    first, rest = others[: MAX_TRANSACTION_OPERATIONS - 1], others[MAX_TRANSACTION_OPERATIONS - 1 :]
    # The record goes with its ETag: a completion that linked it meanwhile keeps it.
    operations: list[Operation] = [
        (
            TransactionOperation.DELETE,
            {"PartitionKey": current.id, "RowKey": RECORD_ROW},
            {"etag": current.etag, "match_condition": MatchConditions.IfNotModified},
        ),
        *[(TransactionOperation.DELETE, _keys(row)) for row in first],
    ]
    submit(services, operations)
    for start in range(0, len(rest), MAX_TRANSACTION_OPERATIONS):
        chunk = rest[start : start + MAX_TRANSACTION_OPERATIONS]
        submit(services, [(TransactionOperation.DELETE, _keys(row)) for row in chunk])
    remove_membership(services, current.owner.user_id, current.id)
    give_back_slot(services, current.owner.user_id, current.id)
    logger.info(
        "Stripe event %s: checkout of %s expired unpaid; the pending subscription is removed",
        event.id,
        current.id,
    )
    return Outcome.APPLIED


def _keys(row: Any) -> dict[str, str]:
    return {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"]}


# --- the index from Stripe subscription ids to ours --------------------------------------


def link_stripe_subscription(
    services: Services, stripe_subscription_id: str, subscription_id: str
) -> None:
    services.storage.table(DIRECTORY_TABLE).upsert_entity(
        {
            "PartitionKey": STRIPE_INDEX_PREFIX + encode_key(stripe_subscription_id),
            "RowKey": STRIPE_INDEX_ROW,
            "subscription_id": subscription_id,
        },
        mode=UpdateMode.REPLACE,
    )


def _indexed_subscription(services: Services, stripe_subscription_id: str | None) -> str | None:
    if not stripe_subscription_id:
        return None
    try:
        row = services.storage.table(DIRECTORY_TABLE).get_entity(
            STRIPE_INDEX_PREFIX + encode_key(stripe_subscription_id), STRIPE_INDEX_ROW
        )
    except ResourceNotFoundError:
        return None
    return _our_id(row.get("subscription_id"))
