"""Queue messages delivered twice and run at the same time, as the host runs a batch: the real
`send_email` and `sync_license_lookup` functions on the local host's queue listener, the
local mailbox read over HTTP. Each address gets one email."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta
from typing import Any

import azure.functions as func
import pytest
from azure.storage.queue import QueueServiceClient

from functions import emails, licenses
from local_host.config import QueueOptions
from local_host.triggers import QueueListener, triggers_of
from local_host.worker import FunctionWorker
from shared.email.gateway import EMAIL_SENDER
from shared.email.outbox import OUTBOX_PREFIX, OutboxStatus, enqueue, outbox_row
from shared.email.senders import MailboxSender
from shared.email.templates import RenderedEmail
from shared.services import Services, use_services
from shared.storage.clients import (
    DEV_MAILBOX_TABLE,
    EMAIL_QUEUE,
    LICENSE_SYNC_QUEUE,
    SUBSCRIPTIONS_TABLE,
    Storage,
    poison_queue_name,
)
from tests.api_client import ApiClient
from tests.factories import make_subscription

OWNER = "owner@contoso.com"
OPTIONS = QueueOptions(
    batch_size=16,
    max_dequeue_count=2,
    visibility_timeout=timedelta(0),
    max_polling_interval=timedelta(milliseconds=100),
)


class CountingSender(MailboxSender):
    """The local mailbox, counting each send: the mailbox keeps one row per outbox id, so
    only the count can tell a repeated send from a single one."""

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self.sends: list[str] = []
        self.lock = threading.Lock()

    def send(self, outbox_id: str, to: str, email: RenderedEmail, sent_at: datetime) -> None:
        with self.lock:
            self.sends.append(to)
        super().send(outbox_id, to, email, sent_at)


class GatedTable:
    """A table client whose outbox reads wait for each other: both deliveries hold the same
    version of the row before either claims it, the race at its narrowest."""

    def __init__(self, table: Any, gate: threading.Barrier) -> None:
        self._table = table
        self._gate = gate

    def get_entity(self, partition_key: str, row_key: str, **kwargs: Any) -> Any:
        row = self._table.get_entity(partition_key, row_key, **kwargs)
        if row_key.startswith(OUTBOX_PREFIX):
            self._gate.wait()
        return row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


@dataclasses.dataclass
class RacingStorage(Storage):
    gate: threading.Barrier | None = None

    def table(self, name: str) -> Any:
        table = super().table(name)
        if name == SUBSCRIPTIONS_TABLE and self.gate is not None:
            return GatedTable(table, self.gate)
        return table


@pytest.fixture
def racing(services: Services) -> Services:
    """This test's services over the same storage, with a counting mailbox."""
    storage = RacingStorage(
        services.storage.table_service, services.storage.queue_service, services.storage.prefix
    )
    built = Services(settings=services.settings, storage=storage, clock=services.clock)
    built.provide(EMAIL_SENDER, CountingSender(storage.table(DEV_MAILBOX_TABLE)))
    use_services(built)
    return built


def listener(services: Services, blueprint: func.Blueprint, function_name: str) -> QueueListener:
    """The app's own queue function (from its metadata) on this test's queue."""
    app = func.FunctionApp()
    app.register_functions(blueprint)
    queues, _ = triggers_of(app.get_functions())
    (trigger,) = [queue for queue in queues if queue.function_name == function_name]
    trigger = dataclasses.replace(
        trigger, queue_name=services.storage.queue_name(trigger.queue_name)
    )
    return QueueListener(
        trigger,
        QueueServiceClient.from_connection_string(str(services.settings.storage_connection)),
        OPTIONS,
        threading.Event(),
        FunctionWorker(OPTIONS.max_in_flight, timedelta(seconds=30)),
    )


def sends(services: Services) -> list[str]:
    sender = services.gateway(EMAIL_SENDER, lambda _: None)
    assert isinstance(sender, CountingSender)
    return sorted(sender.sends)


def mailbox(api: ApiClient, to: str) -> list[dict[str, str]]:
    response = api.get("/api/dev/emails", params={"to": to})
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


def count(services: Services, queue: str) -> int:
    properties = services.storage.queue(queue).get_queue_properties()
    return int(properties.approximate_message_count or 0)


def test_two_deliveries_of_one_message_racing_through_send_email_send_one_email(
    api: ApiClient, racing: Services
) -> None:
    to = "ann@contoso.com"
    entity, entry = outbox_row(
        "sub-race",
        to=to,
        template="welcome",
        params={"email": to, "assigned_by": OWNER, "subscription_name": "Contoso"},
        now=racing.clock(),
    )
    racing.storage.table(SUBSCRIPTIONS_TABLE).create_entity(entity)
    enqueue(racing, [entry, entry])
    assert isinstance(racing.storage, RacingStorage)
    gate = threading.Barrier(2, timeout=10)
    racing.storage.gate = gate
    sender = listener(racing, emails.bp, "send_email")

    assert sender.poll_once() == 2
    sender.close()
    racing.storage.gate = None

    # Both read the row before either claimed it (a broken barrier would have failed both).
    assert not gate.broken
    assert sends(racing) == [to]
    assert [email["id"] for email in mailbox(api, to)] == [entry.row_key.removeprefix("outbox|")]
    row = racing.storage.table(SUBSCRIPTIONS_TABLE).get_entity("sub-race", entry.row_key)
    assert row["status"] == OutboxStatus.SENT
    assert count(racing, EMAIL_QUEUE) == 0
    assert count(racing, poison_queue_name(EMAIL_QUEUE)) == 0


def test_a_release_delivered_twice_at_once_sends_each_welcome_email_once(
    api: ApiClient, racing: Services
) -> None:
    subscription = make_subscription(racing, OWNER, quantity=10)
    addresses = [f"user{n}@fabrikam.example" for n in range(6)]
    owner = api.login(OWNER)
    assigned = owner.post(
        f"/api/subscriptions/{subscription.id}/licenses", json={"emails": addresses}
    )
    assert assigned.status_code == 200, assigned.text

    # The release message, delivered twice: both copies run at once.
    sync_queue = racing.storage.queue(LICENSE_SYNC_QUEUE)
    (release,) = sync_queue.peek_messages(max_messages=32)
    sync_queue.send_message(release.content)
    syncer = listener(racing, licenses.bp, "sync_license_lookup")
    assert syncer.poll_once() == 2
    syncer.close()

    # Each email was enqueued twice; one batch runs every copy at once.
    assert count(racing, EMAIL_QUEUE) == 2 * len(addresses)
    sender = listener(racing, emails.bp, "send_email")
    assert sender.poll_once() == 2 * len(addresses)
    sender.close()

    assert sends(racing) == sorted(addresses)
    for address in addresses:
        assert len(mailbox(api, address)) == 1
    assert count(racing, EMAIL_QUEUE) == 0
    assert count(racing, poison_queue_name(EMAIL_QUEUE)) == 0
