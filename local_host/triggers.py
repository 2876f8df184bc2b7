"""Queue and timer triggers, run as the Functions host runs them."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.functions.decorators.function_app import Function
from azure.functions.queue import QueueMessage as FunctionQueueMessage
from azure.functions.timer import TimerRequest
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient
from croniter import croniter

from local_host.config import QueueOptions
from local_host.worker import FunctionTimedOut, FunctionWorker, thread_count

logger = logging.getLogger("local_host.triggers")

# The host's lease on a message it is working on (the Functions default is 10 minutes).
MESSAGE_LEASE_SECONDS = 600
MIN_POLLING_SECONDS = 0.1


@dataclass(frozen=True)
class QueueTrigger:
    function_name: str
    queue_name: str
    arg_name: str
    call: Callable[..., Any]


@dataclass(frozen=True)
class TimerTrigger:
    function_name: str
    schedule: str
    run_on_startup: bool
    arg_name: str
    call: Callable[..., Any]


def triggers_of(functions: Iterable[Function]) -> tuple[list[QueueTrigger], list[TimerTrigger]]:
    queues, timers = [], []
    for function in functions:
        trigger = function.get_trigger()
        if trigger is None:
            continue
        description = trigger.get_dict_repr()
        kind = trigger.get_binding_name()
        if kind == "queueTrigger":
            queues.append(
                QueueTrigger(
                    function.get_function_name(),
                    description["queueName"],
                    description["name"],
                    function.get_user_function(),
                )
            )
        elif kind == "timerTrigger":
            timers.append(
                TimerTrigger(
                    function.get_function_name(),
                    description["schedule"],
                    bool(description.get("runOnStartup")),
                    description["name"],
                    function.get_user_function(),
                )
            )
    return queues, timers


class QueueListener:
    """Receives batches and runs them concurrently, as the host's queue trigger does.

    The host fetches `batchSize` messages, runs them in parallel, and fetches the next batch
    once no more than `newBatchThreshold` are still running, so up to batchSize +
    newBatchThreshold invocations of one function overlap (they share the worker's pool).
    After maxDequeueCount failures a message moves to `<queue>-poison`.
    """

    def __init__(
        self,
        trigger: QueueTrigger,
        service: QueueServiceClient,
        options: QueueOptions,
        stop: threading.Event,
        worker: FunctionWorker | None = None,
    ) -> None:
        self.trigger = trigger
        self.options = options
        self.stop = stop
        self.queue = self._client(service, trigger.queue_name)
        self.poison = self._client(service, f"{trigger.queue_name}-poison")
        self._own_worker = worker is None
        self.worker = worker or FunctionWorker(thread_count(), None)
        # The host's side of each message: wait for the invocation, then delete or release.
        self._dispatch = ThreadPoolExecutor(
            max_workers=options.max_in_flight, thread_name_prefix=f"queue:{trigger.queue_name}"
        )
        self._in_flight = 0
        self._settled = threading.Condition()

    @staticmethod
    def _client(service: QueueServiceClient, name: str) -> QueueClient:
        # Messages are read as they are stored and decoded one by one (_decode): with a decode
        # policy on the client, one message that is not base64 would fail the whole batch, which
        # then stays leased and is never processed. Retries and the poison queue carry the
        # stored text unchanged, as the host does.
        client = service.get_queue_client(name)
        try:
            client.create_queue()
        except ResourceExistsError:
            pass
        return client

    def run(self) -> None:
        idle_delay = MIN_POLLING_SECONDS
        maximum = max(self.options.max_polling_interval.total_seconds(), MIN_POLLING_SECONDS)
        while not self.stop.is_set():
            with self._settled:
                # Woken by each finished message, and at least every poll period to see stop.
                while self._in_flight > self.options.threshold and not self.stop.is_set():
                    self._settled.wait(MIN_POLLING_SECONDS)
            if self.stop.is_set():
                return
            try:
                handled = len(self._start_batch())
            except Exception:
                logger.exception("polling %s failed", self.trigger.queue_name)
                handled = 0
            if handled:
                idle_delay = MIN_POLLING_SECONDS
                continue
            self.stop.wait(idle_delay)
            idle_delay = min(idle_delay * 2, maximum)

    def poll_once(self) -> int:
        """Receive one batch and wait until all of it is processed; returns how many."""
        started = self._start_batch()
        wait(started)
        return len(started)

    def close(self) -> None:
        self._dispatch.shutdown(wait=False, cancel_futures=True)
        if self._own_worker:
            self.worker.shutdown()

    def _start_batch(self) -> list:  # type: ignore[type-arg]
        batch = list(
            self.queue.receive_messages(
                messages_per_page=self.options.batch_size,
                max_messages=self.options.batch_size,
                visibility_timeout=MESSAGE_LEASE_SECONDS,
            )
        )
        with self._settled:
            self._in_flight += len(batch)
        return [self._dispatch.submit(self._settle, message) for message in batch]

    def _settle(self, message: QueueMessage) -> None:
        try:
            self._process(message)
        except Exception:
            # Deleting or releasing failed: the lease runs out and the message comes back.
            logger.exception("could not settle message %s", message.id)
        finally:
            with self._settled:
                self._in_flight -= 1
                self._settled.notify_all()

    def _process(self, message: QueueMessage) -> None:
        try:
            body = _decode(message.content)
        except ValueError:
            # Decoding cannot succeed on a later try: the host moves such a message to the
            # poison queue at once.
            logger.error(
                "message %s of %s is not base64; moving it to the poison queue",
                message.id,
                self.trigger.queue_name,
            )
            self._poison(message)
            return
        arguments = {self.trigger.arg_name: _function_message(message, body)}
        try:
            self.worker.invoke(self.trigger.call, arguments)
        except FunctionTimedOut:
            logger.error(
                "function %s timed out on message %s (try %s of %s)",
                self.trigger.function_name,
                message.id,
                message.dequeue_count,
                self.options.max_dequeue_count,
            )
            self._fail(message)
            return
        except Exception:
            logger.exception(
                "function %s failed on message %s (try %s of %s)",
                self.trigger.function_name,
                message.id,
                message.dequeue_count,
                self.options.max_dequeue_count,
            )
            self._fail(message)
            return
        self.queue.delete_message(message)

    def _fail(self, message: QueueMessage) -> None:
        if (message.dequeue_count or 0) >= self.options.max_dequeue_count:
            self._poison(message)
            return
        self.queue.update_message(
            message,
            visibility_timeout=int(self.options.visibility_timeout.total_seconds()),
        )

    def _poison(self, message: QueueMessage) -> None:
        self.poison.send_message(message.content)
        self.queue.delete_message(message)
        logger.warning("message %s moved to %s-poison", message.id, self.trigger.queue_name)


def _decode(content: str | bytes | None) -> bytes:
    """The body of a message the host reads with messageEncoding base64."""
    try:
        return base64.b64decode(content or b"", validate=True)
    except (binascii.Error, TypeError):
        raise ValueError("not base64") from None


def _function_message(message: QueueMessage, body: bytes) -> FunctionQueueMessage:
    return FunctionQueueMessage(
        id=message.id,
        body=body,
        dequeue_count=message.dequeue_count,
        expiration_time=message.expires_on,
        insertion_time=message.inserted_on,
        time_next_visible=message.next_visible_on,
        pop_receipt=message.pop_receipt,
    )


class TimerRunner:
    """Invokes a timer function on its NCRONTAB schedule (six fields, seconds first)."""

    def __init__(
        self, trigger: TimerTrigger, stop: threading.Event, worker: FunctionWorker | None = None
    ) -> None:
        self.trigger = trigger
        self.stop = stop
        self.worker = worker or FunctionWorker(1, None)

    def next_after(self, moment: datetime) -> datetime:
        schedule = croniter(self.trigger.schedule, moment, second_at_beginning=True)
        return schedule.get_next(datetime)

    def run(self) -> None:
        if self.trigger.run_on_startup:
            self._fire(past_due=False)
        due = self.next_after(datetime.now(UTC))
        while not self.stop.is_set():
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait > 0 and self.stop.wait(min(wait, 1.0)):
                return
            if datetime.now(UTC) >= due:
                late = (datetime.now(UTC) - due).total_seconds() > 60
                self._fire(past_due=late)
                due = self.next_after(datetime.now(UTC))

    def _fire(self, past_due: bool) -> None:
        try:
            self.worker.invoke(
                self.trigger.call, {self.trigger.arg_name: TimerRequest(past_due=past_due)}
            )
        except FunctionTimedOut:
            logger.error(
                "timer function %s timed out after %ss; its thread runs on",
                self.trigger.function_name,
                self.worker.timeout,
            )
        except Exception:
            logger.exception("timer function %s failed", self.trigger.function_name)
