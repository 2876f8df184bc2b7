"""The Stripe adapter through the real `stripe` SDK, with Stripe's HTTP API faked by `responses`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from shared.billing.gateway import PAYMENTS, payments_gateway
from shared.billing.stripe_gateway import StripePayments, stripe_client
from shared.errors import Problem
from shared.services import Services
from shared.subscriptions.model import Status
from shared.subscriptions.store import get_subscription
from tests.api_client import ApiClient
from tests.billing.factories import activity, make_subscription, rows

API = "https://api.stripe.com"
PRICE = "price_seats"


@pytest.fixture
def stripe_api(services: Services) -> Iterator[responses.RequestsMock]:
    """Stripe's API faked at HTTP level; Azurite and the local app host stay reachable."""
    with responses.RequestsMock(
        passthru_prefixes=("http://127.0.0.1",), assert_all_requests_are_fired=False
    ) as mock:
        services.provide(PAYMENTS, StripePayments(stripe_client("sk_test_123"), PRICE))
        yield mock


def form(call: Any) -> dict[str, str]:
    """A form-encoded Stripe request body, one value per key."""
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def stripe_calls(mock: responses.RequestsMock) -> list[Any]:
    return [call for call in mock.calls if call.request.url.startswith(API)]


def stripe_subscription(quantity: int = 5) -> dict[str, Any]:
    return {
        "id": "sub_123",
        "object": "subscription",
        "status": "active",
        "customer": "cus_123",
        "items": {
            "object": "list",
            "data": [
                {"id": "si_other", "object": "subscription_item", "price": {"id": "price_x"}},
                {
                    "id": "si_123",
                    "object": "subscription_item",
                    "quantity": quantity,
                    "price": {"id": PRICE, "object": "price"},
                },
            ],
        },
    }


def error(kind: str, status: int, **fields: Any) -> dict[str, Any]:
    return {
        "json": {"error": {"type": kind, "message": "Stripe says no", **fields}},
        "status": status,
    }


def active(services: Services, quantity: int = 5, assigned: int = 0):  # type: ignore[no-untyped-def]
    return make_subscription(
        services,
        status=Status.ACTIVE,
        quantity=quantity,
        assigned=assigned,
        stripe_subscription_id="sub_123",
        stripe_customer_id="cus_123",
    )


# --- checkout ---------------------------------------------------------------------------


def test_checkout_creates_a_subscription_mode_session_for_the_price_and_quantity(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    stripe_api.post(
        f"{API}/v1/checkout/sessions",
        json={
            "id": "cs_test_1",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_1",
        },
    )
    ann = api.login("ann@contoso.com")

    response = ann.post("/api/checkout", json={"quantity": 25, "name": "Client A"})

    assert response.status_code == 201, response.text
    assert response.json()["url"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    subscription_id = response.json()["subscription_id"]
    [call] = stripe_calls(stripe_api)
    sent = form(call)
    assert sent["mode"] == "subscription"
    assert sent["line_items[0][price]"] == PRICE
    assert sent["line_items[0][quantity]"] == "25"
    assert sent["client_reference_id"] == subscription_id
    assert sent["customer_email"] == "ann@contoso.com"
    for prefix in ("metadata", "subscription_data[metadata]"):
        assert sent[f"{prefix}[subscription_id]"] == subscription_id
        assert sent[f"{prefix}[owner_email]"] == "ann@contoso.com"
        assert sent[f"{prefix}[owner_tenant_id]"] and sent[f"{prefix}[owner_object_id]"]
    assert sent["success_url"] == f"http://127.0.0.1:7071/subscriptions/{subscription_id}?welcome=1"
    assert sent["cancel_url"] == "http://127.0.0.1:7071/purchase?canceled=1"
    assert call.request.headers["Idempotency-Key"] == f"smm-checkout-{subscription_id}"
    assert call.request.headers["Authorization"] == "Bearer sk_test_123"

    record = get_subscription(services, subscription_id)
    assert (record.status, record.quantity, record.name) == (Status.PENDING, 25, "Client A")
    assert [s["id"] for s in ann.get("/api/subscriptions").json()["items"]] == [subscription_id]


def test_a_failed_checkout_leaves_no_pending_subscription(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    stripe_api.post(f"{API}/v1/checkout/sessions", **error("api_error", 500))
    ann = api.login("ann@contoso.com")

    response = ann.post("/api/checkout", json={"quantity": 5})

    assert response.status_code == 502
    assert response.json()["code"] == "payments_error"
    assert "Stripe says no" not in response.text
    assert ann.get("/api/subscriptions").json()["items"] == []


# --- quantity ---------------------------------------------------------------------------


def test_a_quantity_change_invoices_the_seat_item_pro_rata_with_an_idempotency_key(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    subscription = active(services)
    stripe_api.get(f"{API}/v1/subscriptions/sub_123", json=stripe_subscription())
    stripe_api.post(
        f"{API}/v1/subscriptions/sub_123",
        json=stripe_subscription(8),
    )
    ann = api.login("ann@contoso.com")

    response = ann.patch(f"/api/subscriptions/{subscription.id}", json={"quantity": 8})

    assert response.status_code == 200, response.text
    assert (response.json()["quantity"], response.json()["available"]) == (8, 8)
    retrieve, update = stripe_calls(stripe_api)
    assert retrieve.request.method == "GET"
    assert form(update) == {
        "items[0][id]": "si_123",
        "items[0][quantity]": "8",
        "proration_behavior": "always_invoice",
    }
    key = update.request.headers["Idempotency-Key"]
    assert key.startswith(f"smm-quantity-{subscription.id}-")
    assert get_subscription(services, subscription.id).quantity == 8
    assert ("quantity_changed", "5 → 8") in activity(services, subscription.id)
    assert rows(services, subscription.id, "lock|") == []


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        (error("invalid_request_error", 429, code="rate_limit"), 503, "payments_rate_limited"),
        (error("card_error", 402, code="card_declined"), 409, "payment_declined"),
        (error("invalid_request_error", 400, code="resource_missing"), 422, "payment_rejected"),
        (error("idempotency_error", 400), 409, "payment_request_conflict"),
        (error("api_error", 500), 502, "payments_error"),
        (error("invalid_request_error", 401), 502, "payments_error"),
        ({"body": requests.ConnectionError("connection reset")}, 502, "payments_error"),
    ],
)
def test_stripe_errors_become_clear_problems_and_change_nothing(
    api: ApiClient,
    services: Services,
    stripe_api: responses.RequestsMock,
    reply: dict[str, Any],
    status: int,
    code: str,
) -> None:
    subscription = active(services)
    stripe_api.get(f"{API}/v1/subscriptions/sub_123", json=stripe_subscription())
    stripe_api.post(f"{API}/v1/subscriptions/sub_123", **reply)
    ann = api.login("ann@contoso.com")

    response = ann.patch(f"/api/subscriptions/{subscription.id}", json={"quantity": 8})

    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code and problem["status"] == status
    assert "Stripe says no" not in response.text and "connection reset" not in response.text
    if status == 503:
        assert int(response.headers["Retry-After"]) >= 1
    assert get_subscription(services, subscription.id).quantity == 5
    assert activity(services, subscription.id) == []
    assert rows(services, subscription.id, "lock|") == []


def test_stripe_rate_limit_retry_after_is_passed_on(
    services: Services, stripe_api: responses.RequestsMock
) -> None:
    stripe_api.post(
        f"{API}/v1/billing_portal/sessions",
        headers={"Retry-After": "7"},
        **error("invalid_request_error", 429, code="rate_limit"),
    )
    with pytest.raises(Problem) as raised:
        payments_gateway(services).billing_portal(
            "cus_123", "http://127.0.0.1:7071/subscriptions/x"
        )

    assert (raised.value.status, raised.value.extra["retry_after"]) == (503, 7)


def test_when_seats_were_assigned_meanwhile_stripe_is_set_back(
    services: Services, stripe_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.billing import changes
    from shared.subscriptions.store import record_update, submit
    from tests.billing.factories import user

    subscription = active(services, quantity=10, assigned=2)
    stripe_api.get(f"{API}/v1/subscriptions/sub_123", json=stripe_subscription(10))
    stripe_api.post(f"{API}/v1/subscriptions/sub_123", json=stripe_subscription(4))
    real_update = StripePayments.update_quantity

    def assign_during_the_stripe_call(self, *args: Any) -> None:  # type: ignore[no-untyped-def]
        real_update(self, *args)
        if len(stripe_calls(stripe_api)) == 2:  # the change, not the undo
            current = get_subscription(services, subscription.id)
            submit(services, [record_update(current.with_changes(assigned=6))])

    monkeypatch.setattr(StripePayments, "update_quantity", assign_during_the_stripe_call)

    with pytest.raises(Problem) as raised:
        changes.change_subscription(
            services, user("ann@contoso.com"), subscription.id, name=None, quantity=4
        )

    assert raised.value.code == "quantity_below_assigned"
    assert raised.value.extra["assigned"] == 6
    updates = [call for call in stripe_calls(stripe_api) if call.request.method == "POST"]
    assert [form(call)["items[0][quantity]"] for call in updates] == ["4", "10"]
    assert updates[1].request.headers["Idempotency-Key"].endswith("-undo")
    record = get_subscription(services, subscription.id)
    assert (record.quantity, record.assigned) == (10, 6)
    assert rows(services, subscription.id, "lock|") == []


# --- billing portal and invoices --------------------------------------------------------


def test_the_billing_portal_is_a_stripe_session_for_the_customer(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    subscription = active(services)
    stripe_api.post(
        f"{API}/v1/billing_portal/sessions",
        json={
            "id": "bps_1",
            "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/session/1",
        },
    )
    ann = api.login("ann@contoso.com")

    response = ann.post(f"/api/subscriptions/{subscription.id}/billing-portal")

    assert response.status_code == 200
    assert response.json() == {"url": "https://billing.stripe.com/p/session/1"}
    [call] = stripe_calls(stripe_api)
    assert form(call) == {
        "customer": "cus_123",
        "return_url": f"http://127.0.0.1:7071/subscriptions/{subscription.id}",
    }


def stripe_invoice(number: int) -> dict[str, Any]:
    return {
        "id": f"in_{number}",
        "object": "invoice",
        "number": f"SMM-{number:04d}",
        "created": 1_800_000_000 - number * 86400,
        "amount_due": 2500,
        "currency": "eur",
        "status": "paid",
        "hosted_invoice_url": f"https://invoice.stripe.com/i/{number}",
        "invoice_pdf": f"https://pay.stripe.com/invoice/{number}/pdf",
    }


def test_invoices_come_from_stripe_page_by_page(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    subscription = active(services)
    stripe_api.get(
        f"{API}/v1/invoices",
        json={"object": "list", "data": [stripe_invoice(1), stripe_invoice(2)], "has_more": True},
    )
    stripe_api.get(
        f"{API}/v1/invoices",
        json={"object": "list", "data": [stripe_invoice(3)], "has_more": False},
    )
    ann = api.login("ann@contoso.com")

    first = ann.get(f"/api/subscriptions/{subscription.id}/invoices", params={"limit": 2})
    cursor = first.json()["next_cursor"]
    second = ann.get(
        f"/api/subscriptions/{subscription.id}/invoices", params={"limit": 2, "cursor": cursor}
    )

    assert first.status_code == 200 and second.status_code == 200
    assert first.json()["items"][0] == {
        "id": "in_1",
        "number": "SMM-0001",
        "created_at": "2027-01-14T08:00:00Z",
        "amount_due": 2500,
        "currency": "eur",
        "status": "paid",
        "hosted_invoice_url": "https://invoice.stripe.com/i/1",
        "pdf_url": "https://pay.stripe.com/invoice/1/pdf",
    }
    assert cursor and "in_2" not in cursor  # opaque
    assert [i["id"] for i in second.json()["items"]] == ["in_3"]
    assert second.json()["next_cursor"] is None
    one, two = (parse_qs(urlsplit(c.request.url).query) for c in stripe_calls(stripe_api))
    assert one == {"customer": ["cus_123"], "subscription": ["sub_123"], "limit": ["2"]}
    assert two["starting_after"] == ["in_2"]


def test_stripe_pages_are_at_most_a_hundred(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    subscription = active(services)
    stripe_api.get(f"{API}/v1/invoices", json={"object": "list", "data": [], "has_more": False})
    ann = api.login("ann@contoso.com")

    response = ann.get(f"/api/subscriptions/{subscription.id}/invoices", params={"limit": 1000})

    assert response.json() == {"items": [], "next_cursor": None}
    [call] = stripe_calls(stripe_api)
    assert parse_qs(urlsplit(call.request.url).query)["limit"] == ["100"]


# --- price and quantity preview ---------------------------------------------------------

TIERED_PRICE = {
    "id": PRICE,
    "object": "price",
    "currency": "eur",
    "billing_scheme": "tiered",
    "tiers_mode": "volume",
    "recurring": {"interval": "month", "interval_count": 1},
    "tiers": [
        {"up_to": 9, "unit_amount": 500, "unit_amount_decimal": "500", "flat_amount": None},
        {"up_to": None, "unit_amount": None, "unit_amount_decimal": "400", "flat_amount": None},
    ],
}


def test_the_price_comes_from_stripe_with_its_tiers_and_is_kept_for_minutes(
    api: ApiClient, stripe_api: responses.RequestsMock
) -> None:
    stripe_api.get(f"{API}/v1/prices/{PRICE}", json=TIERED_PRICE)

    first = api.get("/api/pricing")
    second = api.get("/api/pricing")

    assert first.status_code == second.status_code == 200, first.text
    assert (
        first.json()
        == second.json()
        == {
            "currency": "eur",
            "interval": "month",
            "tiers": [{"up_to": 9, "unit_amount": 500}, {"up_to": None, "unit_amount": 400}],
        }
    )
    [call] = stripe_calls(stripe_api)
    assert parse_qs(urlsplit(call.request.url).query) == {"expand[0]": ["tiers"]}


def test_a_per_unit_price_is_one_open_tier(
    api: ApiClient, stripe_api: responses.RequestsMock
) -> None:
    per_unit = {**TIERED_PRICE, "billing_scheme": "per_unit", "unit_amount": 450, "tiers": None}
    stripe_api.get(f"{API}/v1/prices/{PRICE}", json=per_unit)

    response = api.get("/api/pricing")

    assert response.json()["tiers"] == [{"up_to": None, "unit_amount": 450}]


def test_a_stripe_failure_reading_the_price_is_a_problem(
    api: ApiClient, stripe_api: responses.RequestsMock
) -> None:
    stripe_api.get(f"{API}/v1/prices/{PRICE}", **error("api_error", 500))

    response = api.get("/api/pricing")

    assert response.status_code == 502
    assert response.json()["code"] == "payments_error"
    assert "Stripe says no" not in response.text


def test_the_preview_is_stripes_upcoming_invoice_and_the_change_uses_its_date(
    api: ApiClient, services: Services, stripe_api: responses.RequestsMock
) -> None:
    subscription = active(services)
    stripe_api.get(f"{API}/v1/subscriptions/sub_123", json=stripe_subscription())
    stripe_api.get(f"{API}/v1/prices/{PRICE}", json=TIERED_PRICE)
    stripe_api.post(
        f"{API}/v1/invoices/create_preview",
        json={"object": "invoice", "currency": "eur", "amount_due": 1537, "total": 1537},
    )
    stripe_api.post(f"{API}/v1/subscriptions/sub_123", json=stripe_subscription(12))
    ann = api.login("ann@contoso.com")

    shown = ann.post(
        f"/api/subscriptions/{subscription.id}/quantity-preview", json={"quantity": 12}
    )

    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body == {
        "quantity": 12,
        "currency": "eur",
        "amount_due_now": 1537,
        "next_recurring_amount": 12 * 400,
        "proration_date": body["proration_date"],
    }
    [asked] = [c for c in stripe_calls(stripe_api) if "create_preview" in c.request.url]
    assert form(asked) == {
        "subscription": "sub_123",
        "subscription_details[items][0][id]": "si_123",
        "subscription_details[items][0][quantity]": "12",
        "subscription_details[proration_behavior]": "always_invoice",
        "subscription_details[proration_date]": str(body["proration_date"]),
    }
    assert get_subscription(services, subscription.id).quantity == 5

    changed = ann.patch(
        f"/api/subscriptions/{subscription.id}",
        json={"quantity": 12, "proration_date": body["proration_date"]},
    )

    assert changed.status_code == 200, changed.text
    [update] = [
        c
        for c in stripe_calls(stripe_api)
        if c.request.method == "POST" and c.request.url.endswith("/v1/subscriptions/sub_123")
    ]
    assert form(update) == {
        "items[0][id]": "si_123",
        "items[0][quantity]": "12",
        "proration_behavior": "always_invoice",
        "proration_date": str(body["proration_date"]),
    }
