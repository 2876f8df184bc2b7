"""The Stripe webhook: signatures, idempotency, status mapping, emails, odd events."""

from __future__ import annotations

import time

import pytest

from shared.billing.webhook import STRIPE_INDEX_PREFIX, Outcome
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE, LICENSE_SYNC_QUEUE
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription
from tests.api_client import ApiClient
from tests.billing.factories import (
    activity,
    checkout_completed_event,
    counting_storage,
    deliver,
    email_queue_length,
    epoch,
    event_rows,
    invoice_event,
    make_subscription,
    outbox_templates,
    post_event,
    signed,
    state,
    subscription_event,
)


@pytest.fixture
def now(services: Services) -> int:
    return epoch(services.clock())


# --- signatures -------------------------------------------------------------------------


def test_a_verified_delivery_is_applied(api: ApiClient, services: Services, now: int) -> None:
    subscription = make_subscription(services)
    event = subscription_event(subscription.id, stripe_status="active", created=now)

    response = post_event(api, event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "applied"}
    assert get_subscription(services, subscription.id).status is Status.ACTIVE


@pytest.mark.parametrize(
    "delivery",
    ["forged", "stale", "tampered", "missing", "malformed", "not_utf8"],
)
def test_a_delivery_that_does_not_verify_is_refused_and_changes_nothing(
    api: ApiClient, services: Services, now: int, delivery: str
) -> None:
    subscription = make_subscription(services)
    event = subscription_event(subscription.id, stripe_status="active", created=now)
    payload, header = signed(event)
    if delivery == "forged":
        payload, header = signed(event, secret="whsec_someone_else")
    elif delivery == "stale":
        payload, header = signed(event, at=int(time.time()) - 6 * 60)
    elif delivery == "tampered":
        payload = payload.replace(b'"quantity": 5', b'"quantity": 500')
        assert b'"quantity": 500' in payload
    elif delivery == "missing":
        header = ""
    elif delivery == "malformed":
        header = "v1=abc,t=notanumber"
    elif delivery == "not_utf8":
        payload = b"\xff\xfe" + payload
    before = get_subscription(services, subscription.id)

    response = api.post(
        "/api/stripe/webhook", data=payload, headers={"Stripe-Signature": header} if header else {}
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_signature"
    after = get_subscription(services, subscription.id)
    assert state(after) == state(before) and after.etag == before.etag
    assert event_rows(services, subscription.id) == []
    assert outbox_templates(services, subscription.id) == []


def test_a_signature_within_the_five_minute_tolerance_is_accepted(
    api: ApiClient, services: Services, now: int
) -> None:
    subscription = make_subscription(services)
    event = subscription_event(subscription.id, stripe_status="active", created=now)

    response = post_event(api, event, at=int(time.time()) - 4 * 60)

    assert response.status_code == 200


# --- idempotency and order --------------------------------------------------------------


def test_a_redelivered_event_changes_nothing_and_sends_no_second_email(
    api: ApiClient, services: Services, now: int
) -> None:
    subscription = make_subscription(services)
    event = subscription_event(subscription.id, stripe_status="active", created=now)

    first = post_event(api, event)
    record = get_subscription(services, subscription.id)
    again = [post_event(api, event) for _ in range(3)]

    assert first.json()["outcome"] == "applied"
    assert [r.status_code for r in again] == [200, 200, 200]
    assert {r.json()["outcome"] for r in again} == {"duplicate"}
    assert get_subscription(services, subscription.id).etag == record.etag
    assert outbox_templates(services, subscription.id) == ["purchase_confirmed"]
    assert len(event_rows(services, subscription.id)) == 1


def test_an_older_event_delivered_late_does_not_overwrite_newer_state(
    services: Services, now: int
) -> None:
    subscription = make_subscription(services)
    newer = subscription_event(subscription.id, stripe_status="past_due", created=now, quantity=7)
    older = subscription_event(
        subscription.id, stripe_status="active", created=now - 60, quantity=5
    )

    assert deliver(services, newer) is Outcome.APPLIED
    assert deliver(services, older) is Outcome.UNCHANGED

    record = get_subscription(services, subscription.id)
    assert (record.status, record.quantity) == (Status.PAST_DUE, 7)


def test_within_one_second_the_later_stage_wins(services: Services, now: int) -> None:
    subscription = make_subscription(services)
    incomplete = subscription_event(
        subscription.id,
        stripe_status="incomplete",
        created=now,
        event_type="customer.subscription.created",
    )
    active = subscription_event(subscription.id, stripe_status="active", created=now)

    deliver(services, active)
    deliver(services, incomplete)

    assert get_subscription(services, subscription.id).status is Status.ACTIVE


# --- what each event does ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stripe_status", "expected"),
    [
        ("active", Status.ACTIVE),
        ("trialing", Status.ACTIVE),
        ("past_due", Status.PAST_DUE),
        ("canceled", Status.EXPIRED),
        ("unpaid", Status.EXPIRED),
        ("incomplete_expired", Status.EXPIRED),
        ("incomplete", Status.PENDING),
    ],
)
def test_stripe_statuses_map_to_ours(
    services: Services, now: int, stripe_status: str, expected: Status
) -> None:
    subscription = make_subscription(services, status=Status.ACTIVE, stripe_subscription_id="sub_1")

    deliver(services, subscription_event(subscription.id, stripe_status=stripe_status, created=now))

    assert get_subscription(services, subscription.id).status is expected


def test_a_purchase_links_stripe_ids_activates_and_confirms_once(
    services: Services, now: int
) -> None:
    subscription = make_subscription(services, quantity=5)

    deliver(services, checkout_completed_event(subscription.id, created=now))
    deliver(
        services,
        subscription_event(
            subscription.id,
            stripe_status="active",
            created=now + 1,
            event_type="customer.subscription.created",
        ),
    )
    deliver(services, invoice_event(subscription.id, event_type="invoice.paid", created=now + 2))

    record = get_subscription(services, subscription.id)
    assert record.status is Status.ACTIVE and record.quantity == 5
    assert (record.stripe_subscription_id, record.stripe_customer_id) == ("sub_1", "cus_1")
    assert record.current_period_end is not None
    assert outbox_templates(services, subscription.id) == ["purchase_confirmed"]
    assert email_queue_length(services) == 1
    index = services.storage.table(DIRECTORY_TABLE).get_entity(
        STRIPE_INDEX_PREFIX + "sub_1", "subscription"
    )
    assert index["subscription_id"] == subscription.id
    assert ("status_changed", "pending → active") in activity(services, subscription.id)
    # The license look-up follows the status.
    assert services.storage.queue(LICENSE_SYNC_QUEUE).peek_messages(max_messages=5)


def test_each_failed_payment_emails_the_owner_once(services: Services, now: int) -> None:
    subscription = make_subscription(services, status=Status.ACTIVE, stripe_subscription_id="sub_1")
    first = invoice_event(subscription.id, event_type="invoice.payment_failed", created=now)
    second = invoice_event(subscription.id, event_type="invoice.payment_failed", created=now + 5)

    for event in (first, first, second, second, first):
        deliver(services, event)

    assert outbox_templates(services, subscription.id) == ["payment_failed", "payment_failed"]


def test_a_canceled_subscription_expires_and_the_owner_hears_once(
    services: Services, now: int
) -> None:
    subscription = make_subscription(services, status=Status.ACTIVE, stripe_subscription_id="sub_1")
    deleted = subscription_event(
        subscription.id,
        stripe_status="canceled",
        created=now,
        event_type="customer.subscription.deleted",
    )

    deliver(services, deleted)
    deliver(services, deleted)

    assert get_subscription(services, subscription.id).status is Status.EXPIRED
    assert outbox_templates(services, subscription.id) == ["subscription_ended"]


def test_an_abandoned_first_payment_expires_without_an_email(services: Services, now: int) -> None:
    subscription = make_subscription(services)

    deliver(
        services,
        subscription_event(subscription.id, stripe_status="incomplete_expired", created=now),
    )

    assert get_subscription(services, subscription.id).status is Status.EXPIRED
    assert outbox_templates(services, subscription.id) == []


def test_an_event_without_metadata_is_found_through_the_stripe_id_index(
    services: Services, now: int
) -> None:
    subscription = make_subscription(services)
    deliver(services, checkout_completed_event(subscription.id, created=now))

    outcome = deliver(services, subscription_event(None, stripe_status="past_due", created=now + 1))

    assert outcome is Outcome.APPLIED
    assert get_subscription(services, subscription.id).status is Status.PAST_DUE


# --- events that are not ours or not understood -----------------------------------------


def test_events_for_unknown_subscriptions_are_acknowledged(api: ApiClient, now: int) -> None:
    for event in (
        subscription_event(
            "00000000-0000-0000-0000-000000000000", stripe_status="active", created=now
        ),
        subscription_event(
            None, stripe_status="active", created=now, stripe_subscription_id="sub_x"
        ),
        invoice_event(None, event_type="invoice.payment_failed", created=now),
    ):
        response = post_event(api, event)
        assert response.status_code == 200
        assert response.json()["outcome"] == "ignored"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda e: e.pop("data"),
        lambda e: e.update(id="evt/../../x"),
        lambda e: e.update(created="yesterday"),
        lambda e: e["data"]["object"].update(status="paused"),
        lambda e: e["data"]["object"]["items"]["data"][0].update(quantity="five"),
        lambda e: e["data"]["object"].update(items={"data": "nope"}),
        lambda e: e["data"].update(object="sub_1"),
        lambda e: e.update(type="customer.created"),
    ],
)
def test_events_of_unexpected_shape_are_acknowledged_and_change_nothing(
    api: ApiClient, services: Services, now: int, mangle
) -> None:  # type: ignore[no-untyped-def]
    subscription = make_subscription(services)
    event = subscription_event(subscription.id, stripe_status="active", created=now)
    mangle(event)

    response = post_event(api, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert get_subscription(services, subscription.id).status is Status.PENDING


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"null", b'"text"'])
def test_a_signed_body_that_is_no_event_is_acknowledged(api: ApiClient, body: bytes) -> None:
    response = post_event(api, body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"


def test_an_event_for_another_stripe_subscription_does_not_relink(
    services: Services, now: int
) -> None:
    subscription = make_subscription(services, status=Status.ACTIVE, stripe_subscription_id="sub_1")

    outcome = deliver(
        services,
        subscription_event(
            subscription.id, stripe_status="canceled", created=now, stripe_subscription_id="sub_2"
        ),
    )

    assert outcome is Outcome.UNCHANGED
    record = get_subscription(services, subscription.id)
    assert (record.status, record.stripe_subscription_id) == (Status.ACTIVE, "sub_1")


# --- budget -----------------------------------------------------------------------------


def test_an_event_costs_at_most_five_storage_requests(
    services: Services, azurite, now: int
) -> None:  # type: ignore[no-untyped-def]
    storage, transport = counting_storage(azurite.connection_string, services.storage.prefix)
    counted = Services(settings=services.settings, storage=storage, clock=services.clock)
    subscription = make_subscription(services)
    history = [
        checkout_completed_event(subscription.id, created=now),
        subscription_event(
            subscription.id,
            stripe_status="active",
            created=now + 1,
            event_type="customer.subscription.created",
        ),
        invoice_event(subscription.id, event_type="invoice.paid", created=now + 2),
        invoice_event(subscription.id, event_type="invoice.payment_failed", created=now + 3),
        subscription_event(subscription.id, stripe_status="past_due", created=now + 4),
        subscription_event(subscription.id, stripe_status="canceled", created=now + 5),
    ]
    history.append(history[1])  # a redelivery

    for event in history:
        transport.count = 0
        deliver(counted, event)
        assert 1 <= transport.count <= 5, (event["type"], transport.count)


def test_the_webhook_answers_fast(api: ApiClient, services: Services, now: int) -> None:
    subscription = make_subscription(services)
    started = time.monotonic()
    response = post_event(
        api, subscription_event(subscription.id, stripe_status="active", created=now)
    )
    assert response.status_code == 200
    # Stripe waits about 20 s (https://docs.stripe.com/webhooks#acknowledge-events-immediately).
    assert time.monotonic() - started < 2


def test_the_event_row_records_what_was_processed(services: Services, now: int) -> None:
    subscription = make_subscription(services)
    event = subscription_event(subscription.id, stripe_status="active", created=now)

    deliver(services, event)

    [row] = event_rows(services, subscription.id)
    assert row["RowKey"] == "event|" + event["id"]
    assert (row["type"], row["created"]) == ("customer.subscription.updated", now)
