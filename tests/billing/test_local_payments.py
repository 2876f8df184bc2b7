"""Local payments' own events, like `stripe trigger`: failures, recovery, renewal, the end."""

from __future__ import annotations

import pytest
import responses

from shared.billing.gateway import PAYMENTS
from shared.billing.local import signature_header
from shared.billing.stripe_gateway import StripePayments, stripe_client
from shared.services import Services
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription
from tests.api_client import ApiClient
from tests.billing.factories import bought, make_subscription, outbox_templates


def play(client: ApiClient, subscription_id: str, kind: str):  # type: ignore[no-untyped-def]
    return client.post(f"/api/dev/subscriptions/{subscription_id}/events", json={"type": kind})


def test_a_failed_payment_then_recovery(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)

    failed = play(ann, subscription_id, "payment_failed")

    assert failed.status_code == 202
    assert [e["type"] for e in failed.json()["delivered"]] == [
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    assert get_subscription(services, subscription_id).status is Status.PAST_DUE
    assert "payment_failed" in outbox_templates(services, subscription_id)
    invoices = ann.get(f"/api/subscriptions/{subscription_id}/invoices").json()["items"]
    assert invoices[0]["status"] == "open"

    recovered = play(ann, subscription_id, "payment_recovered")

    assert recovered.status_code == 202
    assert get_subscription(services, subscription_id).status is Status.ACTIVE
    invoices = ann.get(f"/api/subscriptions/{subscription_id}/invoices").json()["items"]
    assert [i["status"] for i in invoices] == ["paid", "paid"]
    # Recovery is no new purchase.
    assert outbox_templates(services, subscription_id).count("purchase_confirmed") == 1


def test_a_renewal_moves_the_period_on(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)
    before = get_subscription(services, subscription_id).current_period_end

    assert play(ann, subscription_id, "renewed").status_code == 202

    after = get_subscription(services, subscription_id)
    assert before is not None and after.current_period_end is not None
    assert 28 <= (after.current_period_end - before).days <= 31
    assert after.status is Status.ACTIVE


def test_a_cancellation_ends_the_subscription_for_good(api: ApiClient, services: Services) -> None:
    ann, subscription_id = bought(api)

    canceled = play(ann, subscription_id, "canceled")
    again = play(ann, subscription_id, "renewed")

    assert canceled.status_code == 202
    assert [e["type"] for e in canceled.json()["delivered"]] == ["customer.subscription.deleted"]
    assert get_subscription(services, subscription_id).status is Status.EXPIRED
    assert outbox_templates(services, subscription_id).count("subscription_ended") == 1
    assert again.status_code == 409 and again.json()["code"] == "subscription_canceled"
    changed = ann.patch(f"/api/subscriptions/{subscription_id}", json={"quantity": 9})
    assert changed.status_code == 409


def test_events_played_in_one_second_keep_their_order(api: ApiClient, services: Services) -> None:
    """The clock stands still: `created` still rises, so the last event played wins."""
    ann, subscription_id = bought(api)

    for kind in ("payment_failed", "payment_recovered", "payment_failed"):
        assert play(ann, subscription_id, kind).status_code == 202

    assert get_subscription(services, subscription_id).status is Status.PAST_DUE


def test_playing_needs_a_completed_checkout(api: ApiClient, services: Services) -> None:
    pending = make_subscription(services)
    ann = api.login("ann@contoso.com")

    assert play(ann, pending.id, "renewed").status_code == 409
    assert play(ann, "no-such-subscription", "renewed").status_code == 404


@pytest.mark.parametrize("body", [{"type": "refunded"}, {}, {"type": "renewed", "extra": 1}])
def test_unknown_plays_are_refused(api: ApiClient, body: dict[str, object]) -> None:
    ann, subscription_id = bought(api)

    response = ann.post(f"/api/dev/subscriptions/{subscription_id}/events", json=body)

    assert response.status_code == 422


def test_local_deliveries_are_signed_as_stripe_signs(api: ApiClient) -> None:
    """The header is Stripe's scheme, so a real Stripe library accepts it."""
    import stripe

    payload = b'{"id": "evt_1", "object": "event"}'
    header = signature_header(payload, "whsec_local_dev", timestamp=1_800_000_000)

    assert header.startswith("t=1800000000,v1=")
    assert stripe.WebhookSignature.verify_header(payload, header, "whsec_local_dev", tolerance=None)


def test_with_stripe_configured_the_local_pages_are_gone(
    api: ApiClient, services: Services
) -> None:
    with responses.RequestsMock(passthru_prefixes=("http://127.0.0.1",)):
        services.provide(PAYMENTS, StripePayments(stripe_client("sk_test_1"), "price_1"))
        assert api.get("/api/dev/checkout/cs_local_x").status_code == 404
        response = api.post("/api/dev/subscriptions/x/events", json={"type": "renewed"})
        assert response.status_code == 404
