"""The transactional outbox against Azurite: written with the change, enqueued, sent once, swept."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueServiceClient

from shared.email import outbox
from shared.email.gateway import email_sender
from shared.email.outbox import (
    MAX_SEND_ATTEMPTS,
    STALE_CLAIM,
    SWEEP_GRACE,
    OutboxEntry,
    OutboxStatus,
    deliver,
    enqueue,
    outbox_row,
    sweep,
)
from shared.email.senders import (
    MailboxSender,
    PermanentSendError,
    RateLimited,
    TransientSendError,
)
from shared.email.templates import RenderedEmail
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE, SUBSCRIPTIONS_TABLE, Storage, poison_queue_name
from tests.azurite import ACCOUNT, ACCOUNT_KEY, refused_port
from tests.conftest import Clock

PARTITION = "sub-0001"
TO = "ann@contoso.com"
WELCOME = {"email": TO, "assigned_by": "bob@contoso.com", "subscription_name": "Contoso"}


class RecordingSender:
    """An EmailSender that records each call and fails as told (then succeeds)."""

    def __init__(self, *failures: Exception, always: BaseException | None = None) -> None:
        self.failures = list(failures)
        self.always = always
        self.calls: list[tuple[str, str, RenderedEmail]] = []
        self.lock = threading.Lock()

    def send(self, outbox_id: str, to: str, email: RenderedEmail, sent_at: datetime) -> None:
        with self.lock:
            self.calls.append((outbox_id, to, email))
            if self.always is not None:
                raise self.always
            if self.failures:
                raise self.failures.pop(0)


def write_row(
    services: Services,
    clock: Clock,
    *,
    template: str = "welcome",
    params: dict[str, Any] | None = None,
) -> OutboxEntry:
    """The outbox row written in the same transaction as the change that causes it."""
    entity, entry = outbox_row(
        PARTITION, to=TO, template=template, params=params or WELCOME, now=clock()
    )
    record = {"PartitionKey": PARTITION, "RowKey": "record", "assigned": 1}
    services.storage.table(SUBSCRIPTIONS_TABLE).submit_transaction(
        [("upsert", record), ("create", entity)]
    )
    return entry


def row(services: Services, entry: OutboxEntry) -> Any:
    return services.storage.table(entry.table).get_entity(entry.partition_key, entry.row_key)


def email_queue(services: Services) -> QueueClient:
    return services.storage.queue(EMAIL_QUEUE)


def poison_queue(services: Services) -> QueueClient:
    return services.storage.queue(poison_queue_name(EMAIL_QUEUE))


def message_count(queue: QueueClient) -> int:
    """Visible and invisible messages alike (Azurite's count is exact)."""
    return int(queue.get_queue_properties().approximate_message_count or 0)


def receive_all(queue: QueueClient) -> list[str]:
    messages = list(queue.receive_messages(max_messages=32))
    for message in messages:
        queue.delete_message(message)
    return [message.content for message in messages]


def mailbox(services: Services) -> MailboxSender:
    sender = email_sender(services)
    assert isinstance(sender, MailboxSender)
    return sender


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as resources:
        yield resources


# --- the happy path --------------------------------------------------------------------------


def test_an_enqueued_email_is_sent_and_marked_sent(services: Services, clock: Clock) -> None:
    entry = write_row(services, clock)
    enqueue(services, [entry])
    (message,) = receive_all(email_queue(services))
    assert OutboxEntry.from_message(message) == entry

    assert deliver(services, mailbox(services), message) is OutboxStatus.SENT

    (email,) = mailbox(services).messages(TO)
    assert email["id"] == entry.row_key.removeprefix(outbox.OUTBOX_PREFIX)
    assert email["subject"] == "Your SecureMailMerge license is ready"
    assert "Contoso" in str(email["text"]) and "Contoso" in str(email["html"])
    sent = row(services, entry)
    assert sent["status"] == OutboxStatus.SENT
    assert sent["sent_at"] == clock()
    assert sent["attempts"] == 0


def test_the_queue_message_names_the_row_and_nothing_else(services: Services, clock: Clock) -> None:
    entry = write_row(services, clock, params=WELCOME | {"secret": "do not queue me"})
    enqueue(services, [entry])
    (message,) = receive_all(email_queue(services))
    assert json.loads(message) == {
        "table": SUBSCRIPTIONS_TABLE,
        "pk": PARTITION,
        "rk": entry.row_key,
    }


# --- crash between the write and the enqueue -------------------------------------------------


def test_a_crash_between_the_write_and_the_enqueue_is_recovered_by_the_sweep(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)  # ... and the process dies before enqueue()

    # Within the grace period the row may still be on its way through the queue.
    assert sweep(services) == 0
    assert message_count(email_queue(services)) == 0

    clock.advance(SWEEP_GRACE + timedelta(seconds=1))
    assert sweep(services) == 1
    (message,) = receive_all(email_queue(services))
    assert OutboxEntry.from_message(message) == entry

    assert deliver(services, mailbox(services), message) is OutboxStatus.SENT
    assert len(mailbox(services).messages(TO)) == 1


def test_an_enqueue_that_fails_is_logged_not_raised_and_the_sweep_recovers(
    services: Services, clock: Clock, caplog: pytest.LogCaptureFixture, stack: ExitStack
) -> None:
    entry = write_row(services, clock)
    closed = stack.enter_context(refused_port())
    unreachable = QueueServiceClient.from_connection_string(
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"QueueEndpoint=http://127.0.0.1:{closed}/{ACCOUNT};",
        retry_total=0,
    )
    broken = Services(
        settings=services.settings,
        storage=Storage(
            services.storage.table_service, unreachable, prefix=services.storage.prefix
        ),
        clock=clock,
    )

    enqueue(broken, [entry])  # the caller's change is committed: this must not raise

    assert "the outbox sweep will" in caplog.text
    clock.advance(SWEEP_GRACE + timedelta(seconds=1))
    assert sweep(services) == 1
    (message,) = receive_all(email_queue(services))
    assert deliver(services, mailbox(services), message) is OutboxStatus.SENT


def test_a_sent_row_is_not_resent_by_the_sweep(services: Services, clock: Clock) -> None:
    entry = write_row(services, clock)
    assert deliver(services, mailbox(services), entry.to_message()) is OutboxStatus.SENT

    clock.advance(STALE_CLAIM + SWEEP_GRACE + timedelta(hours=1))
    assert sweep(services) == 0
    assert message_count(email_queue(services)) == 0
    assert len(mailbox(services).messages(TO)) == 1


def test_the_sweep_finds_unsent_rows_across_partitions_and_only_those(
    services: Services, clock: Clock
) -> None:
    table = services.storage.table(SUBSCRIPTIONS_TABLE)
    unsent = []
    for number in range(3):
        entity, entry = outbox_row(
            f"sub-{number}", to=TO, template="welcome", params=WELCOME, now=clock()
        )
        table.create_entity(entity)
        unsent.append(entry)
    done = write_row(services, clock)
    deliver(services, RecordingSender(), done.to_message())
    table.create_entity({"PartitionKey": "sub-9", "RowKey": "outbox", "status": "pending"})

    clock.advance(SWEEP_GRACE + timedelta(seconds=1))
    assert sweep(services) == 3
    swept = {OutboxEntry.from_message(text) for text in receive_all(email_queue(services))}
    assert swept == set(unsent)


# --- duplicates ------------------------------------------------------------------------------


def test_a_duplicate_delivery_sends_once(services: Services, clock: Clock) -> None:
    entry = write_row(services, clock)
    enqueue(services, [entry])
    enqueue(services, [entry])  # e.g. the sweep and the original enqueue both got through
    messages = receive_all(email_queue(services))
    assert len(messages) == 2

    sender = RecordingSender()
    results = [deliver(services, sender, text) for text in messages]

    assert results == [OutboxStatus.SENT, None]
    assert len(sender.calls) == 1
    assert deliver(services, mailbox(services), messages[0]) is None
    assert mailbox(services).messages(TO) == []  # the recording sender "sent" it, not the mailbox


def test_the_mailbox_keeps_one_email_per_outbox_id(services: Services, clock: Clock) -> None:
    entry = write_row(services, clock)
    deliver(services, mailbox(services), entry.to_message())
    deliver(services, mailbox(services), entry.to_message())
    # Even a repeated send (a sender that died after sending) overwrites rather than adds.
    outbox_id = entry.row_key.removeprefix(outbox.OUTBOX_PREFIX)
    email = mailbox(services).messages(TO)[0]
    mailbox(services).send(
        outbox_id,
        TO,
        RenderedEmail(str(email["subject"]), str(email["text"]), str(email["html"])),
        clock(),
    )
    assert [item["id"] for item in mailbox(services).messages(TO)] == [outbox_id]


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_deliveries_of_one_message_send_once(
    services: Services, clock: Clock, round_: int
) -> None:
    entry = write_row(services, clock)
    sender = RecordingSender()
    start = threading.Barrier(6)
    results: list[OutboxStatus | None] = []

    def deliver_once() -> None:
        start.wait()
        results.append(deliver(services, sender, entry.to_message()))

    threads = [threading.Thread(target=deliver_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert len(sender.calls) == 1
    assert len(results) == 6
    assert results.count(OutboxStatus.SENT) == 1 and results.count(None) == 5
    assert row(services, entry)["status"] == OutboxStatus.SENT


def test_a_claim_left_by_a_dead_sender_is_handed_out_again_after_it_goes_stale(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)
    dying = RecordingSender(always=SystemExit("the worker died mid-send"))
    with pytest.raises(SystemExit):
        deliver(services, dying, entry.to_message())
    assert row(services, entry)["status"] == OutboxStatus.SENDING

    # The host redelivers the message: the claim is still held, so nothing is sent.
    sender = RecordingSender()
    assert deliver(services, sender, entry.to_message()) is None
    clock.advance(STALE_CLAIM - timedelta(seconds=1))
    assert sweep(services) == 0
    assert sender.calls == []

    clock.advance(timedelta(seconds=2))
    assert sweep(services) == 1
    (message,) = receive_all(email_queue(services))
    assert deliver(services, sender, message) is OutboxStatus.SENT
    assert len(sender.calls) == 1


# --- provider failures -----------------------------------------------------------------------


def test_a_429_delays_the_message_by_retry_after_without_counting_a_try(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)
    sender = RecordingSender(RateLimited(30))

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.PENDING

    delayed = row(services, entry)
    assert delayed["status"] == OutboxStatus.PENDING
    assert delayed["attempts"] == 0
    assert delayed["not_before"] == clock() + timedelta(seconds=30)
    # Re-enqueued, invisible for the Retry-After.
    assert message_count(email_queue(services)) == 1
    assert email_queue(services).receive_message() is None
    assert message_count(poison_queue(services)) == 0
    # Nor does the sweep hand it out early.
    clock.advance(timedelta(seconds=30) + SWEEP_GRACE - timedelta(seconds=1))
    assert sweep(services) == 0

    # When the delayed message comes back, the email goes.
    assert deliver(services, sender, entry.to_message()) is OutboxStatus.SENT
    assert len(sender.calls) == 2
    assert row(services, entry)["attempts"] == 0


def test_rate_limits_never_use_up_the_tries(services: Services, clock: Clock) -> None:
    entry = write_row(services, clock)
    sender = RecordingSender(always=RateLimited(1))
    for _ in range(MAX_SEND_ATTEMPTS + 2):
        assert deliver(services, sender, entry.to_message()) is OutboxStatus.PENDING
    assert row(services, entry)["attempts"] == 0
    assert message_count(poison_queue(services)) == 0


def test_transient_failures_back_off_then_end_in_the_poison_queue(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)
    sender = RecordingSender(always=TransientSendError("503 from the provider"))

    delays = []
    for attempt in range(1, MAX_SEND_ATTEMPTS):
        assert deliver(services, sender, entry.to_message()) is OutboxStatus.PENDING
        released = row(services, entry)
        assert released["attempts"] == attempt
        delays.append((released["not_before"] - clock()).total_seconds())
    assert delays == [15, 30, 60, 120, 240][: MAX_SEND_ATTEMPTS - 1]
    assert message_count(poison_queue(services)) == 0

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.FAILED

    failed = row(services, entry)
    assert failed["status"] == OutboxStatus.FAILED
    assert "503 from the provider" in failed["failure"]
    assert len(sender.calls) == MAX_SEND_ATTEMPTS
    (poisoned,) = receive_all(poison_queue(services))
    assert OutboxEntry.from_message(poisoned) == entry
    # Retries still in the queue find the row failed and send nothing more.
    assert deliver(services, sender, entry.to_message()) is None
    assert len(sender.calls) == MAX_SEND_ATTEMPTS
    clock.advance(timedelta(days=1))
    assert sweep(services) == 0


def test_an_unforeseen_sender_error_counts_as_a_try_instead_of_leaving_the_row_claimed(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)
    sender = RecordingSender(RuntimeError("socket closed mid-response"))

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.PENDING
    released = row(services, entry)
    assert released["status"] == OutboxStatus.PENDING
    assert released["attempts"] == 1

    clock.advance(timedelta(minutes=1))
    assert deliver(services, sender, entry.to_message()) is OutboxStatus.SENT
    assert len(sender.calls) == 2


def test_a_permanent_failure_goes_straight_to_the_poison_queue(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)
    sender = RecordingSender(always=PermanentSendError("400 InvalidRecipient"))

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.FAILED

    assert len(sender.calls) == 1
    failed = row(services, entry)
    assert failed["status"] == OutboxStatus.FAILED
    assert failed["attempts"] == 0
    assert "InvalidRecipient" in failed["failure"]
    assert message_count(email_queue(services)) == 0
    (poisoned,) = receive_all(poison_queue(services))
    assert OutboxEntry.from_message(poisoned) == entry


def test_a_row_that_cannot_be_rendered_fails_for_good_instead_of_looping(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock, params={"email": TO})  # two parameters missing
    sender = RecordingSender()

    assert deliver(services, sender, entry.to_message()) is OutboxStatus.FAILED

    assert sender.calls == []
    assert row(services, entry)["status"] == OutboxStatus.FAILED
    assert message_count(poison_queue(services)) == 1
    clock.advance(STALE_CLAIM + SWEEP_GRACE)
    assert sweep(services) == 0


# --- what a message may name -----------------------------------------------------------------


def test_a_message_for_a_row_that_no_longer_exists_sends_nothing(
    services: Services, clock: Clock
) -> None:
    entry = write_row(services, clock)
    services.storage.table(SUBSCRIPTIONS_TABLE).delete_entity(PARTITION, entry.row_key)
    sender = RecordingSender()
    assert deliver(services, sender, entry.to_message()) is None
    assert sender.calls == []


@pytest.mark.parametrize(
    "document",
    [
        {"table": "sessions", "pk": PARTITION, "rk": "outbox|x"},
        {"table": SUBSCRIPTIONS_TABLE, "pk": PARTITION, "rk": "record"},
        {"table": SUBSCRIPTIONS_TABLE, "pk": PARTITION},
    ],
)
def test_a_message_that_names_no_outbox_row_is_refused(
    services: Services, document: dict[str, str]
) -> None:
    with pytest.raises((ValueError, KeyError)):
        deliver(services, RecordingSender(), json.dumps(document))


def test_an_unknown_template_is_refused_when_the_row_is_built(clock: Clock) -> None:
    with pytest.raises(ValueError, match="unknown email template"):
        outbox_row(PARTITION, to=TO, template="nope", params={}, now=clock())


# --- due rows only, the daily pass and retention ---------------------------------------------


def test_between_daily_passes_the_sweep_reads_only_due_pointers(
    services: Services, clock: Clock
) -> None:
    assert sweep(services) == 0  # the first sweep runs the day's pass: nothing to find
    forgotten = write_row(services, clock)  # committed, never enqueued, no pointer
    clock.advance(SWEEP_GRACE + timedelta(seconds=1))
    assert sweep(services) == 0  # the table is not scanned
    pointed = write_row(services, clock)
    outbox.mark_due(services, pointed, clock() + SWEEP_GRACE)
    assert sweep(services) == 0  # not due yet
    clock.advance(SWEEP_GRACE + timedelta(seconds=1))
    assert sweep(services) == 1
    (message,) = receive_all(email_queue(services))
    assert OutboxEntry.from_message(message) == pointed
    assert deliver(services, mailbox(services), message) is OutboxStatus.SENT
    assert sweep(services) == 0  # the pointer is gone

    clock.advance(outbox.PASS_INTERVAL)
    assert sweep(services) == 1  # the next daily pass is the backstop
    assert [OutboxEntry.from_message(m) for m in receive_all(email_queue(services))] == [forgotten]


def test_an_interrupted_daily_pass_resumes_and_sent_rows_go_after_retention(
    services: Services, clock: Clock
) -> None:
    table = services.storage.table(SUBSCRIPTIONS_TABLE)
    entries = []
    for number in range(3):
        entity, entry = outbox_row(
            f"sub-{number}", to=TO, template="welcome", params=WELCOME, now=clock()
        )
        table.create_entity(entity)
        entries.append(entry)
    sent = write_row(services, clock)
    deliver(services, mailbox(services), sent.to_message())
    clock.advance(SWEEP_GRACE + timedelta(seconds=1))

    # Partitions in key order: sub-0, sub-0001 (its row sent), sub-1, sub-2.
    assert sweep(services, max_pass_steps=2) == 1
    assert sweep(services) == 2  # the partitions not yet passed, and no other
    swept = {OutboxEntry.from_message(m) for m in receive_all(email_queue(services))}
    assert swept == set(entries)
    assert row(services, sent)["status"] == OutboxStatus.SENT

    clock.advance(outbox.SENT_RETENTION - SWEEP_GRACE - timedelta(seconds=2))
    sweep(services)
    assert row(services, sent)["status"] == OutboxStatus.SENT  # seven days are not past yet
    clock.advance(outbox.PASS_INTERVAL)
    sweep(services)
    with pytest.raises(ResourceNotFoundError):
        row(services, sent)
