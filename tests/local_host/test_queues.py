"""Queue triggers on the local host: base64 messages, retries, the poison queue."""

from __future__ import annotations

import base64
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import azure.functions as func
import pytest
from azure.storage.queue import (
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from local_host.config import HostConfig, QueueOptions
from local_host.triggers import QueueListener, QueueTrigger
from local_host.worker import FunctionWorker
from tests.azurite import Azurite
from tests.local_host.conftest import Serve

MAX_DEQUEUE_COUNT = 3
OPTIONS = QueueOptions(
    batch_size=4,
    max_dequeue_count=MAX_DEQUEUE_COUNT,
    visibility_timeout=timedelta(0),
    max_polling_interval=timedelta(milliseconds=200),
)
WAIT_SECONDS = 10


@dataclass
class Calls:
    """What a queue function was called with, from the listener's thread."""

    bodies: list[bytes] = field(default_factory=list)
    dequeue_counts: list[int | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, msg: func.QueueMessage) -> int:
        with self.lock:
            self.bodies.append(msg.get_body())
            self.dequeue_counts.append(msg.dequeue_count)
            return len(self.bodies)


def unique_queue() -> str:
    return "lh-" + uuid.uuid4().hex[:16]


def queue_app(queue_name: str, handler: Callable[[func.QueueMessage], object]) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=queue_name, connection="AzureWebJobsStorage")
    def handle(msg: func.QueueMessage) -> None:
        handler(msg)

    return app


def client(azurite: Azurite, name: str, *, base64_text: bool = True) -> QueueClient:
    service = QueueServiceClient.from_connection_string(azurite.connection_string)
    if not base64_text:
        return service.get_queue_client(name)
    return service.get_queue_client(
        name,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )


def message_count(queue: QueueClient) -> int:
    """Visible and invisible messages alike (Azurite's count is exact)."""
    return int(queue.get_queue_properties().approximate_message_count or 0)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def test_a_base64_message_reaches_the_function_with_its_body_and_is_deleted(
    serve: Serve, azurite: Azurite
) -> None:
    name, calls = unique_queue(), Calls()
    serve(
        queue_app(name, calls.record),
        HostConfig(queues=OPTIONS),
        storage=azurite.connection_string,
        run_queues=True,
    )
    queue = client(azurite, name)
    queue.send_message('{"greeting": "héllo"}')

    wait_until(lambda: len(calls.bodies) == 1, "the function is called")
    assert calls.bodies == ['{"greeting": "héllo"}'.encode()]
    assert calls.dequeue_counts == [1]
    wait_until(lambda: message_count(queue) == 0, "the message is deleted")
    assert message_count(client(azurite, name + "-poison")) == 0
    assert len(calls.bodies) == 1


def test_a_message_whose_function_always_raises_is_poisoned_after_max_dequeue_count(
    serve: Serve, azurite: Azurite
) -> None:
    name, calls = unique_queue(), Calls()

    def fail(message: func.QueueMessage) -> None:
        calls.record(message)
        raise RuntimeError("the handler always fails")

    serve(
        queue_app(name, fail),
        HostConfig(queues=OPTIONS),
        storage=azurite.connection_string,
        run_queues=True,
    )
    client(azurite, name).send_message("doomed")
    poison = client(azurite, name + "-poison")

    wait_until(lambda: message_count(poison) == 1, "the message is in the poison queue")
    assert calls.dequeue_counts == [1, 2, 3]
    assert calls.bodies == [b"doomed"] * MAX_DEQUEUE_COUNT
    poisoned = poison.receive_message()
    assert poisoned is not None and poisoned.content == "doomed"
    # Copied to the poison queue, then deleted from its own.
    wait_until(lambda: message_count(client(azurite, name)) == 0, "the message left its queue")
    # Nothing comes back: the function is not called again.
    time.sleep(0.5)
    assert len(calls.bodies) == MAX_DEQUEUE_COUNT


def test_a_message_that_fails_once_is_retried_and_then_deleted(
    serve: Serve, azurite: Azurite
) -> None:
    name, calls = unique_queue(), Calls()

    def fail_once(message: func.QueueMessage) -> None:
        if calls.record(message) == 1:
            raise RuntimeError("a passing failure")

    serve(
        queue_app(name, fail_once),
        HostConfig(queues=OPTIONS),
        storage=azurite.connection_string,
        run_queues=True,
    )
    queue = client(azurite, name)
    queue.send_message("second time lucky")

    wait_until(lambda: len(calls.bodies) == 2, "the message is retried")
    assert calls.dequeue_counts == [1, 2]
    wait_until(lambda: message_count(queue) == 0, "the message is deleted")
    assert message_count(client(azurite, name + "-poison")) == 0


def test_a_failed_message_waits_out_the_visibility_timeout(azurite: Azurite) -> None:
    name = unique_queue()
    trigger = QueueTrigger("fails", name, "msg", lambda msg: 1 / 0)
    options = QueueOptions(max_dequeue_count=5, visibility_timeout=timedelta(seconds=30))
    listener = QueueListener(
        trigger,
        QueueServiceClient.from_connection_string(azurite.connection_string),
        options,
        threading.Event(),
    )
    queue = client(azurite, name)
    queue.send_message("later")

    assert listener.poll_once() == 1
    # Still in the queue, but invisible: the next poll receives nothing.
    assert message_count(queue) == 1
    assert listener.poll_once() == 0


def test_messages_are_received_in_batches_of_batch_size(azurite: Azurite) -> None:
    name, calls = unique_queue(), Calls()
    trigger = QueueTrigger("records", name, "msg", calls.record)
    listener = QueueListener(
        trigger,
        QueueServiceClient.from_connection_string(azurite.connection_string),
        OPTIONS,
        threading.Event(),
    )
    queue = client(azurite, name)
    for number in range(OPTIONS.batch_size + 1):
        queue.send_message(f"message {number}")

    assert listener.poll_once() == OPTIONS.batch_size
    assert listener.poll_once() == 1
    assert listener.poll_once() == 0
    assert sorted(calls.bodies) == sorted(
        f"message {n}".encode() for n in range(OPTIONS.batch_size + 1)
    )
    assert message_count(queue) == 0


def test_a_message_that_is_not_base64_is_poisoned_without_blocking_the_others(
    serve: Serve, azurite: Azurite
) -> None:
    name, calls = unique_queue(), Calls()
    raw = client(azurite, name, base64_text=False)
    raw.create_queue()
    raw.send_message("not base64 at all!")
    raw.send_message(base64.b64encode(b"fine").decode())

    serve(
        queue_app(name, calls.record),
        HostConfig(queues=OPTIONS),
        storage=azurite.connection_string,
        run_queues=True,
    )
    poison = client(azurite, name + "-poison", base64_text=False)
    wait_until(lambda: message_count(poison) == 1, "the undecodable message is poisoned")
    wait_until(lambda: len(calls.bodies) == 1, "the good message is processed")
    assert calls.bodies == [b"fine"]
    poisoned = poison.receive_message()
    assert poisoned is not None and poisoned.content == "not base64 at all!"
    wait_until(lambda: message_count(raw) == 0, "both messages have left the queue")


@pytest.mark.parametrize("body", [b"\x00\xff\xfe binary", "ünïcode ✓".encode()])
def test_the_body_is_the_decoded_bytes(azurite: Azurite, body: bytes) -> None:
    name, calls = unique_queue(), Calls()
    trigger = QueueTrigger("records", name, "msg", calls.record)
    listener = QueueListener(
        trigger,
        QueueServiceClient.from_connection_string(azurite.connection_string),
        OPTIONS,
        threading.Event(),
    )
    client(azurite, name, base64_text=False).send_message(base64.b64encode(body).decode())
    assert listener.poll_once() == 1
    assert calls.bodies == [body]


# --- concurrency, as the host runs a batch ----------------------------------------------------


def listener_for(
    azurite: Azurite,
    name: str,
    handler: Callable[[func.QueueMessage], object],
    options: QueueOptions = OPTIONS,
    worker: FunctionWorker | None = None,
) -> QueueListener:
    return QueueListener(
        QueueTrigger("handle", name, "msg", handler),
        QueueServiceClient.from_connection_string(azurite.connection_string),
        options,
        threading.Event(),
        worker or FunctionWorker(16, None),
    )


def test_the_messages_of_a_batch_run_at_the_same_time(azurite: Azurite) -> None:
    name, calls = unique_queue(), Calls()
    # Each invocation waits for all of the batch: one after another, the first would time out.
    together = threading.Barrier(OPTIONS.batch_size, timeout=5)

    def meet(msg: func.QueueMessage) -> None:
        together.wait()
        calls.record(msg)

    listener = listener_for(azurite, name, meet)
    queue = client(azurite, name)
    for number in range(OPTIONS.batch_size):
        queue.send_message(f"message {number}")

    assert listener.poll_once() == OPTIONS.batch_size
    assert len(calls.bodies) == OPTIONS.batch_size
    assert message_count(queue) == 0
    assert message_count(client(azurite, name + "-poison")) == 0
    listener.close()


def test_the_next_batch_is_fetched_at_new_batch_threshold_and_no_sooner(
    azurite: Azurite,
) -> None:
    name = unique_queue()
    options = dataclasses.replace(OPTIONS, batch_size=4, new_batch_threshold=2)
    release = threading.Event()
    lock = threading.Lock()
    started: list[bytes] = []
    running = [0, 0]  # now, most at once

    def hold(msg: func.QueueMessage) -> None:
        with lock:
            started.append(msg.get_body())
            first_two = len(started) <= 2
            running[0] += 1
            running[1] = max(running)
        try:
            if not first_two:
                release.wait(WAIT_SECONDS)
        finally:
            with lock:
                running[0] -= 1

    listener = listener_for(azurite, name, hold, options)
    queue = client(azurite, name)
    for number in range(12):
        queue.send_message(f"message {number}")
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        # First batch: 4 start, 2 return at once, 2 hold; 2 <= threshold, so a second batch
        # of 4 starts; 6 are then in flight, above the threshold, so nothing more starts.
        wait_until(lambda: len(started) == 8, "a second batch starts")
        time.sleep(0.5)
        assert len(started) == 8
        assert running[1] == options.max_in_flight == 6
    finally:
        release.set()
    wait_until(lambda: message_count(queue) == 0, "every message is processed")
    assert len(started) == 12
    assert running[1] <= options.max_in_flight
    listener.stop.set()
    thread.join(timeout=5)
    listener.close()


def test_an_invocation_past_function_timeout_fails_and_is_retried(azurite: Azurite) -> None:
    name, calls = unique_queue(), Calls()
    release = threading.Event()

    def stuck_once(msg: func.QueueMessage) -> None:
        if calls.record(msg) == 1:
            release.wait(WAIT_SECONDS)

    listener = listener_for(
        azurite, name, stuck_once, worker=FunctionWorker(4, timedelta(milliseconds=300))
    )
    queue = client(azurite, name)
    queue.send_message("slow first time")
    try:
        started = time.monotonic()
        assert listener.poll_once() == 1
        assert time.monotonic() - started < WAIT_SECONDS
        # Counted as a failed try: released (visibilityTimeout 0) with its dequeue count.
        assert message_count(queue) == 1
        assert listener.poll_once() == 1
    finally:
        release.set()
    assert calls.dequeue_counts == [1, 2]
    assert message_count(queue) == 0
    assert message_count(client(azurite, name + "-poison")) == 0
    listener.close()
