"""The price, what the portal offers, and seat changes billed exactly as previewed (local
payments; the Stripe adapter's side is in test_stripe_gateway.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from shared.services import Services, use_services
from shared.subscriptions.model import Permission, Status
from shared.subscriptions.store import get_subscription, record_update, submit
from tests.api_client import ApiClient
from tests.billing.factories import bought, make_subscription
from tests.conftest import Clock
from tests.production_settings import PRODUCTION
from tests.shared.admins.factories import make_delegate


def preview(client: ApiClient, subscription_id: str, quantity: Any) -> Any:
    return client.post(
        f"/api/subscriptions/{subscription_id}/quantity-preview", json={"quantity": quantity}
    )


def invoices(client: ApiClient, subscription_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/subscriptions/{subscription_id}/invoices")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


# --- GET /api/pricing, GET /api/portal-config -------------------------------------------


def test_the_price_is_public_with_its_volume_tiers(api: ApiClient) -> None:
    response = api.get("/api/pricing")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "currency": "eur",
        "interval": "month",
        "tiers": [{"up_to": 9, "unit_amount": 500}, {"up_to": None, "unit_amount": 400}],
    }


@pytest.fixture
def serve_with(services: Services) -> Iterator[Any]:
    """Serve the app with other settings for the test (same storage and clock)."""

    def serve(**overrides: object) -> None:
        settings = make_settings_like(services, **overrides)
        use_services(Services(settings=settings, storage=services.storage, clock=services.clock))

    yield serve
    use_services(services)


def make_settings_like(services: Services, **overrides: object):  # type: ignore[no-untyped-def]
    from shared.settings import load_settings

    values: dict[str, object] = {
        "AzureWebJobsStorage": services.settings.storage_connection,
        "PORTAL_ORIGIN": services.settings.portal_origin,
        "SESSION_SECRET": "another-session-secret",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"DEV_MODE": True}, {"local_mode": True, "sign_in": ["local"]}),
        (
            {"DEV_MODE": True, "ENTRA_CLIENT_ID": "app", "ENTRA_CLIENT_SECRET": "secret"},
            {"local_mode": True, "sign_in": ["microsoft", "local"]},
        ),
        (
            {
                **{k: v for k, v in PRODUCTION.items() if not k.startswith("Azure")},
                "DEV_MODE": False,
            },
            {"local_mode": False, "sign_in": ["microsoft"]},
        ),
    ],
)
def test_the_portal_config_says_what_the_portal_offers(
    api: ApiClient, serve_with: Any, settings: dict[str, object], expected: dict[str, Any]
) -> None:
    serve_with(**settings)

    response = api.get("/api/portal-config")

    assert response.status_code == 200, response.text
    assert response.json() == expected


# --- POST /api/subscriptions/{id}/quantity-preview --------------------------------------


def test_the_preview_is_what_the_change_then_charges(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    ann, subscription_id = bought(api, quantity=5)
    clock.advance(timedelta(days=10, hours=3))
    ann = api.login("ann@contoso.com")  # the first session has expired meanwhile
    before = invoices(ann, subscription_id)

    shown = preview(ann, subscription_id, 12)

    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["quantity"] == 12 and body["currency"] == "eur"
    assert body["next_recurring_amount"] == 12 * 400
    # Ten of about thirty days used: most of the difference (4,800 - 2,500) is due now.
    assert 0.55 * 2300 < body["amount_due_now"] < 0.75 * 2300
    assert body["proration_date"] == int(clock().timestamp())
    # The preview charged nothing and changed nothing.
    assert invoices(ann, subscription_id) == before
    assert get_subscription(services, subscription_id).quantity == 5

    clock.advance(timedelta(minutes=20))
    changed = ann.patch(
        f"/api/subscriptions/{subscription_id}",
        json={"quantity": 12, "proration_date": body["proration_date"]},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["quantity"] == 12
    charged = invoices(ann, subscription_id)[0]
    assert len(invoices(ann, subscription_id)) == len(before) + 1
    assert charged["amount_due"] == body["amount_due_now"]
    assert charged["currency"] == "eur" and charged["status"] == "paid"


def test_without_a_proration_date_the_change_is_billed_from_now(
    api: ApiClient, clock: Clock
) -> None:
    ann, subscription_id = bought(api, quantity=5)
    clock.advance(timedelta(days=3))
    shown = preview(api.login("ann@contoso.com"), subscription_id, 6).json()
    clock.advance(timedelta(days=10))
    ann = api.login("ann@contoso.com")

    ann.patch(f"/api/subscriptions/{subscription_id}", json={"quantity": 6})

    # Less of the period is left than at the preview: less is charged.
    assert 0 < invoices(ann, subscription_id)[0]["amount_due"] < shown["amount_due_now"]


def test_fewer_seats_charge_nothing_now_and_less_later(api: ApiClient) -> None:
    ann, subscription_id = bought(api, quantity=12)

    body = preview(ann, subscription_id, 10).json()

    assert (body["amount_due_now"], body["next_recurring_amount"]) == (0, 10 * 400)
    same = preview(ann, subscription_id, 12).json()
    assert (same["amount_due_now"], same["next_recurring_amount"]) == (0, 12 * 400)


def test_the_preview_refuses_what_the_change_would_refuse(
    api: ApiClient, services: Services
) -> None:
    ann, subscription_id = bought(api, quantity=10)
    current = get_subscription(services, subscription_id)
    submit(services, [record_update(current.with_changes(assigned=7))])

    below = preview(ann, subscription_id, 6)

    assert below.status_code == 409
    assert below.json()["code"] == "quantity_below_assigned"
    assert below.json()["assigned"] == 7
    assert preview(ann, subscription_id, 7).status_code == 200


@pytest.mark.parametrize("status", [Status.PENDING, Status.EXPIRED])
def test_a_subscription_that_is_not_running_has_no_preview(
    api: ApiClient, services: Services, status: Status
) -> None:
    subscription = make_subscription(services, status=status)
    ann = api.login("ann@contoso.com")

    response = preview(ann, subscription.id, 9)

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_not_active"


def test_the_preview_needs_the_quantity_permission(api: ApiClient, services: Services) -> None:
    _, subscription_id = bought(api)
    subscription = get_subscription(services, subscription_id)
    make_delegate(services, subscription, "viewer@contoso.com", {Permission.BILLING})
    make_delegate(services, subscription, "seats@contoso.com", {Permission.QUANTITY})

    assert preview(api.login("viewer@contoso.com"), subscription_id, 7).status_code == 403
    assert preview(api.login("seats@contoso.com"), subscription_id, 7).status_code == 200
    assert preview(api.login("eve@fabrikam.example"), subscription_id, 7).status_code == 404
    assert preview(api, subscription_id, 7).status_code == 401


@pytest.mark.parametrize("quantity", [0, 10_001, 2.5, "7", True, None])
def test_a_bad_preview_quantity_is_a_422_naming_it(api: ApiClient, quantity: Any) -> None:
    ann, subscription_id = bought(api)

    response = preview(ann, subscription_id, quantity)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["quantity"]


# --- proration_date on PATCH ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "offset"),
    [
        ({"quantity": 8}, timedelta(seconds=1)),  # in the future
        ({"quantity": 8}, timedelta(days=1)),
        ({"quantity": 8}, -timedelta(hours=1, seconds=1)),  # older than an hour
        ({"name": "Contoso"}, timedelta(0)),  # without quantity
        ({}, timedelta(0)),
    ],
)
def test_a_proration_date_out_of_bounds_is_a_422_naming_it_and_changes_nothing(
    api: ApiClient, services: Services, clock: Clock, change: dict[str, Any], offset: timedelta
) -> None:
    ann, subscription_id = bought(api)
    count = len(invoices(ann, subscription_id))
    proration_date = int((clock() + offset).timestamp())

    response = ann.patch(
        f"/api/subscriptions/{subscription_id}", json={**change, "proration_date": proration_date}
    )

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["proration_date"]
    after = get_subscription(services, subscription_id)
    assert (after.quantity, after.name) == (5, "contoso.com")
    assert len(invoices(ann, subscription_id)) == count


@pytest.mark.parametrize("value", ["1700000000", 1.5, -1, True])
def test_a_proration_date_that_is_not_unix_seconds_is_a_422(api: ApiClient, value: Any) -> None:
    ann, subscription_id = bought(api)

    response = ann.patch(
        f"/api/subscriptions/{subscription_id}", json={"quantity": 6, "proration_date": value}
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["proration_date"]


def test_a_proration_date_an_hour_old_is_still_accepted(api: ApiClient, clock: Clock) -> None:
    ann, subscription_id = bought(api)
    proration_date = int(clock().timestamp())
    clock.advance(timedelta(minutes=59))

    response = ann.patch(
        f"/api/subscriptions/{subscription_id}",
        json={"quantity": 6, "proration_date": proration_date},
    )

    assert response.status_code == 200, response.text
