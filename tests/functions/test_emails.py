"""Email delivery end to end: an outbox row and its queue message, the real `send_email`
function run by the local host's queue listener, and the local mailbox read over HTTP."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import timedelta

import azure.functions as func
from azure.functions.timer import TimerRequest
from azure.storage.queue import QueueServiceClient

from functions import emails
from local_host.config import QueueOptions
from local_host.triggers import QueueListener, triggers_of
from shared.email.outbox import SWEEP_GRACE, OutboxStatus, enqueue, outbox_row
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE, SUBSCRIPTIONS_TABLE, poison_queue_name
from tests.api_client import ApiClient
from tests.conftest import Clock

TO = "new.user@contoso.com"
OPTIONS = QueueOptions(
    batch_size=16,
    max_dequeue_count=2,
    visibility_timeout=timedelta(0),
    max_polling_interval=timedelta(milliseconds=100),
)


def email_listener(services: Services) -> QueueListener:
    """The app's own `send_email` trigger (from its metadata), on this test's queue."""
    app = func.FunctionApp()
    app.register_functions(emails.bp)
    queues, _ = triggers_of(app.get_functions())
    (trigger,) = [queue for queue in queues if queue.function_name == "send_email"]
    assert trigger.queue_name == EMAIL_QUEUE
    trigger = dataclasses.replace(trigger, queue_name=services.storage.queue_name(EMAIL_QUEUE))
    return QueueListener(
        trigger,
        QueueServiceClient.from_connection_string(str(services.settings.storage_connection)),
        OPTIONS,
        threading.Event(),
    )


def assign_a_seat(services: Services, clock: Clock, *, enqueue_it: bool = True) -> str:
    """What a caller of the outbox does: the row in its own transaction, then the enqueue."""
    params = {
        "email": TO,
        "assigned_by": "it@contoso.com",
        "subscription_name": "Contoso <Sales> & Co",
    }
    entity, entry = outbox_row("sub-e2e", to=TO, template="welcome", params=params, now=clock())
    seat = {"PartitionKey": "sub-e2e", "RowKey": "seat|" + TO, "status": "active"}
    services.storage.table(SUBSCRIPTIONS_TABLE).submit_transaction(
        [("create", seat), ("create", entity)]
    )
    if enqueue_it:
        enqueue(services, [entry])
    return entry.row_key


def drain(listener: QueueListener) -> int:
    handled = 0
    for _ in range(10):
        received = listener.poll_once()
        if not received:
            return handled
        handled += received
    raise AssertionError("the queue did not drain")


def mailbox(api: ApiClient, to: str) -> list[dict[str, str]]:
    response = api.get("/api/dev/emails", params={"to": to})
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


def test_an_email_put_through_the_outbox_appears_in_the_local_mailbox(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    row_key = assign_a_seat(services, clock)
    assert mailbox(api, TO) == []

    assert drain(email_listener(services)) == 1

    (email,) = mailbox(api, TO)
    assert email["to"] == TO
    assert email["id"] == row_key.removeprefix("outbox|")
    assert email["subject"] == "Your SecureMailMerge license is ready"
    assert "Contoso <Sales> & Co" in email["text"]
    assert "Contoso &lt;Sales&gt; &amp; Co" in email["html"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", email["sent_at"])
    row = services.storage.table(SUBSCRIPTIONS_TABLE).get_entity("sub-e2e", row_key)
    assert row["status"] == OutboxStatus.SENT
    # Addresses are compared lower-cased, as everywhere in the API.
    assert len(mailbox(api, TO.upper())) == 1
    assert mailbox(api, "someone.else@contoso.com") == []


def test_a_redelivered_message_does_not_send_twice(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    row_key = assign_a_seat(services, clock)
    entity = services.storage.table(SUBSCRIPTIONS_TABLE).get_entity("sub-e2e", row_key)
    services.storage.queue(EMAIL_QUEUE).send_message(
        f'{{"table": "{SUBSCRIPTIONS_TABLE}", "pk": "{entity["PartitionKey"]}", "rk": "{row_key}"}}'
    )

    assert drain(email_listener(services)) == 2
    assert len(mailbox(api, TO)) == 1


def test_the_timer_sweep_delivers_an_email_whose_enqueue_was_lost(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    assign_a_seat(services, clock, enqueue_it=False)
    listener = email_listener(services)
    assert drain(listener) == 0

    clock.advance(SWEEP_GRACE + timedelta(seconds=1))
    emails.sweep_outbox(TimerRequest(past_due=False))
    assert drain(listener) == 1
    assert len(mailbox(api, TO)) == 1


def test_a_message_the_sender_cannot_read_ends_in_the_poison_queue(services: Services) -> None:
    services.storage.queue(EMAIL_QUEUE).send_message('{"table": "sessions"}')
    listener = email_listener(services)

    assert drain(listener) == OPTIONS.max_dequeue_count

    poison = services.storage.queue(poison_queue_name(EMAIL_QUEUE))
    poisoned = poison.receive_message()
    assert poisoned is not None and poisoned.content == '{"table": "sessions"}'
