"""Stripe delivers events late, twice and out of order: any delivery of a history ends where
in-order delivery ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.billing.webhook import STATUS_MAP, STATUS_RANK
from shared.services import Services
from shared.subscriptions.store import get_subscription
from tests.billing.factories import (
    checkout_completed_event,
    deliver,
    invoice_event,
    make_subscription,
    outbox_templates,
    state,
    subscription_event,
)

BASE = 1_800_000_000


@dataclass(frozen=True)
class Step:
    """One event of a history, independent of the subscription it is delivered to."""

    kind: str  # "subscription", "checkout", "invoice.paid", "invoice.payment_failed"
    created: int
    event_id: str
    event_type: str = ""
    stripe_status: str = ""
    quantity: int = 0
    period_end: int = 0

    def event(self, subscription_id: str) -> dict[str, Any]:
        if self.kind == "checkout":
            return checkout_completed_event(
                subscription_id, created=self.created, event_id=self.event_id
            )
        if self.kind.startswith("invoice."):
            return invoice_event(
                subscription_id, event_type=self.kind, created=self.created, event_id=self.event_id
            )
        return subscription_event(
            subscription_id,
            stripe_status=self.stripe_status,
            created=self.created,
            quantity=self.quantity,
            event_type=self.event_type,
            event_id=self.event_id,
            period_end=self.period_end,
        )


@st.composite
def histories(draw: st.DrawFn) -> list[Step]:
    """A subscription's life as Stripe reports it: created, paid or not, failing and
    recovering, changing seats, renewing, and perhaps ending; times never go back, and events
    of one second go to a later stage."""
    statuses = [draw(st.sampled_from(["incomplete", "active"]))]
    if statuses[0] == "incomplete":
        statuses.append(draw(st.sampled_from(["active", "incomplete_expired"])))
    if statuses[-1] != "incomplete_expired":
        statuses += draw(st.lists(st.sampled_from(["active", "past_due", "trialing"]), max_size=5))
        ending = draw(st.sampled_from([None, "canceled", "unpaid"]))
        if ending:
            statuses.append(ending)

    steps: list[Step] = []
    created = BASE
    previous_rank = -1
    for index, status in enumerate(statuses):
        rank = STATUS_RANK[STATUS_MAP[status]]
        gap = draw(st.integers(min_value=0, max_value=3))
        if gap == 0 and rank <= previous_rank:
            gap = 1  # same second only when the stage moves on
        created += gap
        previous_rank = rank
        if status == "past_due":
            steps.append(Step("invoice.payment_failed", created, f"evt_f{index}"))
        event_type = (
            "customer.subscription.created"
            if index == 0
            else "customer.subscription.deleted"
            if status in ("canceled", "incomplete_expired")
            else "customer.subscription.updated"
        )
        steps.append(
            Step(
                "subscription",
                created,
                f"evt_s{index}",
                event_type=event_type,
                stripe_status=status,
                quantity=draw(st.integers(min_value=1, max_value=50)),
                period_end=BASE + 30 * 86400 * (index + 1),
            )
        )
        if status == "active":
            steps.append(Step("invoice.paid", created, f"evt_p{index}"))
    steps.insert(draw(st.integers(0, len(steps))), Step("checkout", BASE, "evt_checkout"))
    return steps


@st.composite
def deliveries(draw: st.DrawFn, history: list[Step]) -> list[Step]:
    """The history in any order, with some events delivered more than once."""
    order = list(draw(st.permutations(history)))
    for repeated in draw(st.lists(st.sampled_from(history), max_size=6)):
        order.insert(draw(st.integers(0, len(order))), repeated)
    return order


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_delivery_order_with_duplicates_ends_as_in_order_delivery(
    services: Services, data: st.DataObject
) -> None:
    history = data.draw(histories(), label="history")
    delivered = data.draw(deliveries(history), label="delivered")
    in_order = make_subscription(services)
    shuffled = make_subscription(services)

    for step in history:
        deliver(services, step.event(in_order.id))
    for step in delivered:
        deliver(services, step.event(shuffled.id))

    expected = get_subscription(services, in_order.id)
    actual = get_subscription(services, shuffled.id)
    assert state(actual) == state(expected)
    assert expected.status is STATUS_MAP[history_last_status(history)]

    # Emails: one per failed payment event, one at most per purchase and per ending.
    sent = outbox_templates(services, shuffled.id)
    failures = sum(step.kind == "invoice.payment_failed" for step in history)
    assert sent.count("payment_failed") == failures
    assert sent.count("purchase_confirmed") <= 1
    assert sent.count("subscription_ended") == outbox_templates(services, in_order.id).count(
        "subscription_ended"
    )
    assert sent.count("subscription_ended") <= 1


def history_last_status(history: list[Step]) -> str:
    return [step for step in history if step.kind == "subscription"][-1].stripe_status
