"""The Communication Services sender through the real azure-communication-email SDK, with its
HTTP faked at the transport (`responses`; azure-core sends through `requests`)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import responses
from azure.communication.email import EmailClient

from shared.email.outbox import OUTBOX_PREFIX, OutboxStatus, deliver, outbox_row
from shared.email.senders import (
    DEFAULT_RETRY_AFTER_SECONDS,
    AcsEmailSender,
    PermanentSendError,
    RateLimited,
    TransientSendError,
    acs_client,
)
from shared.email.templates import RenderedEmail, render
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE, SUBSCRIPTIONS_TABLE
from tests.conftest import Clock

ENDPOINT = "https://contoso.communication.azure.com"
SEND_URL = f"{ENDPOINT}/emails:send"
SENDER = "DoNotReply@licenses.example.com"
TO = "ann@contoso.com"
EMAIL = RenderedEmail(
    subject="Your SecureMailMerge license is ready",
    text="Welcome, plain",
    html="<p>Welcome, <strong>html</strong></p>",
)
NOW = datetime(2026, 11, 23, 17, 50, tzinfo=UTC)


def connection_string() -> str:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return f"endpoint={ENDPOINT}/;accesskey={key}"


def operation_url(operation_id: str) -> str:
    return f"{ENDPOINT}/emails/operations/{operation_id}?api-version=2025-09-01"


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    # Azurite (loopback) stays reachable for the tests that also touch storage.
    with responses.RequestsMock(
        assert_all_requests_are_fired=False, passthru_prefixes=("http://127.0.0.1",)
    ) as mock:
        yield mock


@pytest.fixture
def sender() -> AcsEmailSender:
    # polling_interval=0: the fake service answers Retry-After: 0, which the SDK reads as
    # "use the client's interval" (30 s by default).
    client = EmailClient.from_connection_string(
        connection_string(), retry_total=0, polling_interval=0
    )
    return AcsEmailSender(client, SENDER)


def accept(http: responses.RequestsMock, operation_id: str, *statuses: str) -> None:
    """The service's answers: 202 with Operation-Location, then one poll per status."""
    http.add(
        responses.POST,
        SEND_URL,
        status=202,
        json={"id": operation_id, "status": "Running"},
        headers={"Operation-Location": operation_url(operation_id), "Retry-After": "0"},
    )
    for status in statuses:
        body: dict[str, object] = {"id": operation_id, "status": status}
        if status == "Failed":
            body["error"] = {"code": "EmailDroppedAllRecipientsSuppressed", "message": "no"}
        http.add(
            responses.GET, operation_url(operation_id), json=body, headers={"Retry-After": "0"}
        )


def refuse(
    http: responses.RequestsMock, status: int, headers: dict[str, str] | None = None
) -> None:
    http.add(
        responses.POST,
        SEND_URL,
        status=status,
        json={"error": {"code": "SomethingWrong", "message": "refused"}},
        headers=headers or {},
    )


def sent_requests(http: responses.RequestsMock, method: str) -> list[requests.PreparedRequest]:
    return [call.request for call in http.calls if call.request.method == method]


def body_of(request: requests.PreparedRequest) -> bytes:
    assert isinstance(request.body, bytes | str)
    return request.body.encode() if isinstance(request.body, str) else request.body


def test_an_accepted_email_is_polled_until_it_succeeds(
    http: responses.RequestsMock, sender: AcsEmailSender
) -> None:
    accept(http, "outbox-id-1", "Running", "Succeeded")

    sender.send("outbox-id-1", TO, EMAIL, NOW)

    (post,) = sent_requests(http, "POST")
    assert post.url == SEND_URL + "?api-version=2025-09-01"
    assert post.headers["Operation-Id"] == "outbox-id-1"
    assert str(post.headers["Authorization"]).startswith("HMAC-SHA256 ")
    assert json.loads(body_of(post)) == {
        "senderAddress": SENDER,
        "recipients": {"to": [{"address": TO}]},
        "content": {
            "subject": EMAIL.subject,
            "plainText": EMAIL.text,
            "html": EMAIL.html,
        },
    }
    polls = sent_requests(http, "GET")
    assert [poll.url for poll in polls] == [operation_url("outbox-id-1")] * 2


def test_a_429_is_rate_limited_for_its_retry_after(
    http: responses.RequestsMock, sender: AcsEmailSender
) -> None:
    refuse(http, 429, {"Retry-After": "30"})
    with pytest.raises(RateLimited) as limited:
        sender.send("outbox-id-2", TO, EMAIL, NOW)
    assert limited.value.retry_after_seconds == 30


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, DEFAULT_RETRY_AFTER_SECONDS),
        ("0", 1),
        ("0.2", 1),
        ("Wed, 21 Oct 2026 07:28:00 GMT", DEFAULT_RETRY_AFTER_SECONDS),
    ],
)
def test_a_429_waits_at_least_a_second_and_a_safe_default_when_unreadable(
    http: responses.RequestsMock, sender: AcsEmailSender, header: str | None, seconds: int
) -> None:
    refuse(http, 429, {"Retry-After": header} if header is not None else {})
    with pytest.raises(RateLimited) as limited:
        sender.send("outbox-id-3", TO, EMAIL, NOW)
    assert limited.value.retry_after_seconds == seconds


@pytest.mark.parametrize("status", [400, 401, 403, 413, 422])
def test_a_refusal_of_the_message_is_permanent(
    http: responses.RequestsMock, sender: AcsEmailSender, status: int
) -> None:
    refuse(http, status)
    with pytest.raises(PermanentSendError, match=str(status)):
        sender.send("outbox-id-4", TO, EMAIL, NOW)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_a_server_failure_is_transient(
    http: responses.RequestsMock, sender: AcsEmailSender, status: int
) -> None:
    refuse(http, status)
    with pytest.raises(TransientSendError, match=str(status)):
        sender.send("outbox-id-5", TO, EMAIL, NOW)


def test_an_unreachable_service_is_transient(
    http: responses.RequestsMock, sender: AcsEmailSender
) -> None:
    http.add(responses.POST, SEND_URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(TransientSendError, match="unreachable"):
        sender.send("outbox-id-6", TO, EMAIL, NOW)


@pytest.mark.parametrize("final", ["Failed", "Canceled"])
def test_an_operation_that_ends_failed_is_permanent(
    http: responses.RequestsMock, sender: AcsEmailSender, final: str
) -> None:
    # Retrying the same Operation-Id cannot change the outcome of that operation.
    accept(http, "outbox-id-7", "Running", final)
    with pytest.raises(PermanentSendError):
        sender.send("outbox-id-7", TO, EMAIL, NOW)


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, TransientSendError)])
def test_the_projects_client_never_retries_inside_the_sdk(
    http: responses.RequestsMock, status: int, error: type[Exception]
) -> None:
    """Retries are the queue's: a 429 or 503 must reach the outbox after one request."""
    refuse(http, status, {"Retry-After": "1"})
    sender = AcsEmailSender(acs_client(connection_string(), None), SENDER)
    with pytest.raises(error):
        sender.send("outbox-id-8", TO, EMAIL, NOW)
    assert len(sent_requests(http, "POST")) == 1


# --- through the outbox, with Azurite for the storage ----------------------------------------


def test_the_outbox_sends_through_the_sdk_once_per_outbox_id(
    http: responses.RequestsMock, sender: AcsEmailSender, services: Services, clock: Clock
) -> None:
    params = {"email": TO, "assigned_by": "bob@contoso.com", "subscription_name": 'A & "B"'}
    entity, entry = outbox_row("sub-1", to=TO, template="welcome", params=params, now=clock())
    services.storage.table(SUBSCRIPTIONS_TABLE).create_entity(entity)
    outbox_id = entry.row_key.removeprefix(OUTBOX_PREFIX)
    accept(http, outbox_id, "Succeeded")

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.SENT
    assert deliver(services, sender, entry.to_message()) is None

    (post,) = sent_requests(http, "POST")
    assert post.headers["Operation-Id"] == outbox_id
    content = json.loads(body_of(post))["content"]
    expected = render("welcome", params)
    assert content == {
        "subject": expected.subject,
        "plainText": expected.text,
        "html": expected.html,
    }


def test_the_outbox_delays_a_rate_limited_email_without_counting_a_try(
    http: responses.RequestsMock, sender: AcsEmailSender, services: Services, clock: Clock
) -> None:
    params = {"email": TO, "assigned_by": "bob@contoso.com", "subscription_name": "Contoso"}
    entity, entry = outbox_row("sub-1", to=TO, template="welcome", params=params, now=clock())
    table = services.storage.table(SUBSCRIPTIONS_TABLE)
    table.create_entity(entity)
    refuse(http, 429, {"Retry-After": "30"})

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.PENDING

    row = table.get_entity(entry.partition_key, entry.row_key)
    assert (row["status"], row["attempts"]) == (OutboxStatus.PENDING, 0)
    assert (row["not_before"] - clock()).total_seconds() == 30
    queue = services.storage.queue(EMAIL_QUEUE)
    assert queue.get_queue_properties().approximate_message_count == 1
    assert queue.receive_message() is None  # invisible until Retry-After has passed
