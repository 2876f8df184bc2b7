"""Buying a subscription as a new user would, with local payments: sign in, check out, pay."""

from __future__ import annotations

from typing import Any

import pytest

from shared.email.gateway import email_sender
from shared.email.outbox import deliver as deliver_email
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE
from tests.api_client import ApiClient


def send_queued_emails(services: Services) -> None:
    """Run the queue-triggered sender over what the email queue holds."""
    queue = services.storage.queue(EMAIL_QUEUE)
    for message in queue.receive_messages(messages_per_page=32):
        deliver_email(services, email_sender(services), message.content)
        queue.delete_message(message)


def test_buying_five_seats_ends_in_an_active_subscription_and_a_confirmation_email(
    api: ApiClient, services: Services
) -> None:
    ann = api.login("ann@contoso.com")

    started = ann.post("/api/checkout", json={"quantity": 5})
    assert started.status_code == 201, started.text
    url = started.json()["url"]
    assert url.startswith("http://127.0.0.1:7071/api/dev/checkout/cs_local_")

    page = ann.get(url.removeprefix("http://127.0.0.1:7071"))
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "5 × 5.00 EUR" in page.text and "<form" in page.text

    session_id = url.rsplit("/", 1)[1]
    paid = ann.post(f"/api/dev/checkout/{session_id}/complete")
    assert paid.status_code == 303
    subscription_id = started.json()["subscription_id"]
    assert (
        paid.headers["Location"]
        == f"http://127.0.0.1:7071/subscriptions/{subscription_id}?welcome=1"
    )

    listed = ann.get("/api/subscriptions")
    assert listed.status_code == 200
    [subscription] = listed.json()["items"]
    assert listed.json()["next_cursor"] is None
    assert subscription["id"] == subscription_id
    assert subscription["status"] == "active"
    assert (subscription["quantity"], subscription["assigned"], subscription["available"]) == (
        5,
        0,
        5,
    )
    assert subscription["name"] == "contoso.com"
    assert subscription["owner"] == {"email": "ann@contoso.com"}
    assert subscription["role"] == "owner"
    assert subscription["permissions"] == ["view", "assign", "quantity", "billing"]
    assert subscription["current_period_end"].endswith("Z")

    send_queued_emails(services)
    mailbox = api.get("/api/dev/emails", params={"to": "ann@contoso.com"}).json()["items"]
    [email] = mailbox
    assert "is active" in email["subject"]
    assert f"/subscriptions/{subscription_id}" in email["text"]
    assert "5 seats" in email["text"]


def test_paying_twice_buys_once(api: ApiClient, services: Services) -> None:
    ann = api.login("ann@contoso.com")
    started = ann.post("/api/checkout", json={"quantity": 3, "name": "Client B"})
    session_id = started.json()["url"].rsplit("/", 1)[1]

    first = ann.post(f"/api/dev/checkout/{session_id}/complete")
    second = ann.post(f"/api/dev/checkout/{session_id}/complete")

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    subscription_id = started.json()["subscription_id"]
    invoices = ann.get(f"/api/subscriptions/{subscription_id}/invoices").json()["items"]
    assert len(invoices) == 1
    assert (invoices[0]["amount_due"], invoices[0]["currency"]) == (1500, "eur")
    send_queued_emails(services)
    assert len(api.get("/api/dev/emails", params={"to": "ann@contoso.com"}).json()["items"]) == 1


def test_a_reseller_holds_one_subscription_per_client(api: ApiClient) -> None:
    reseller = api.login("it@reseller.example")
    ids = []
    for name, quantity in (("Client A", 3), ("Client B", 12)):
        started = reseller.post("/api/checkout", json={"quantity": quantity, "name": name})
        ids.append(started.json()["subscription_id"])
        session_id = started.json()["url"].rsplit("/", 1)[1]
        reseller.post(f"/api/dev/checkout/{session_id}/complete")

    items = reseller.get("/api/subscriptions").json()["items"]

    assert sorted((s["name"], s["quantity"], s["status"]) for s in items) == [
        ("Client A", 3, "active"),
        ("Client B", 12, "active"),
    ]
    portals = {reseller.post(f"/api/subscriptions/{i}/billing-portal").json()["url"] for i in ids}
    assert len(portals) == 2  # each billed to a customer of its own


def test_the_checkout_page_escapes_what_users_typed(api: ApiClient) -> None:
    ann = api.login("ann@contoso.com")
    started = ann.post("/api/checkout", json={"quantity": 1, "name": "<script>alert(1)</script>"})

    page = ann.get(started.json()["url"].removeprefix("http://127.0.0.1:7071"))

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_an_unknown_checkout_session_is_not_found(api: ApiClient) -> None:
    assert api.get("/api/dev/checkout/cs_local_nothing").status_code == 404
    assert api.post("/api/dev/checkout/cs_local_nothing/complete").status_code == 404
    assert api.get("/api/dev/checkout/../../etc").status_code == 404


def test_checkout_needs_a_signed_in_user(api: ApiClient) -> None:
    response = api.post("/api/checkout", json={"quantity": 5})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_checkout_from_another_origin_is_refused(api: ApiClient) -> None:
    ann = api.login("ann@contoso.com")

    response = ann.post(
        "/api/checkout", json={"quantity": 5}, headers={"Origin": "https://evil.example"}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "origin_mismatch"
    assert ann.get("/api/subscriptions").json()["items"] == []


BAD_CHECKOUTS: list[tuple[Any, str]] = [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -3}, "quantity"),
    ({"quantity": 10001}, "quantity"),
    ({"quantity": 2.5}, "quantity"),
    ({"quantity": "5"}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({}, "quantity"),
    ({"quantity": 5, "name": ""}, "name"),
    ({"quantity": 5, "name": "   "}, "name"),
    ({"quantity": 5, "name": "x" * 101}, "name"),
    ({"quantity": 5, "name": 42}, "name"),
    ({"quantity": 5, "seats": 5}, "seats"),
    ([5], "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CHECKOUTS)
def test_bad_checkout_input_is_a_422_naming_the_field_and_buys_nothing(
    api: ApiClient, body: Any, field: str
) -> None:
    ann = api.login("ann@contoso.com")

    response = ann.post("/api/checkout", json=body)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in [error["field"] for error in problem["errors"]]
    assert ann.get("/api/subscriptions").json()["items"] == []


@pytest.mark.parametrize("quantity", [1, 10000])
def test_the_quantity_bounds_are_allowed(api: ApiClient, quantity: int) -> None:
    ann = api.login("ann@contoso.com")

    assert ann.post("/api/checkout", json={"quantity": quantity}).status_code == 201


def test_a_name_of_a_hundred_characters_is_allowed(api: ApiClient) -> None:
    ann = api.login("ann@contoso.com")

    response = ann.post("/api/checkout", json={"quantity": 1, "name": "n" * 100})

    assert response.status_code == 201
    assert ann.get("/api/subscriptions").json()["items"][0]["name"] == "n" * 100
