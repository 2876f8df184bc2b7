"""The local host: one function app, its HTTP server and its queue and timer triggers."""

from __future__ import annotations

import logging
import threading

import azure.functions as func
from azure.storage.queue import QueueServiceClient

from local_host.config import HostConfig
from local_host.http_server import FunctionsHttpServer
from local_host.routes import http_routes
from local_host.triggers import QueueListener, TimerRunner, triggers_of
from local_host.worker import FunctionWorker, thread_count

logger = logging.getLogger("local_host")


class LocalHost:
    def __init__(
        self,
        app: func.FunctionApp,
        config: HostConfig,
        storage_connection: str,
        *,
        host: str = "127.0.0.1",
        port: int = 7071,
        run_queues: bool = True,
        run_timers: bool = True,
        threads: int | None = None,
    ) -> None:
        functions = app.get_functions()
        self.stop_event = threading.Event()
        # One pool for every invocation, HTTP, queue and timer alike, as in the Python worker.
        self.worker = FunctionWorker(threads or thread_count(), config.function_timeout)
        self.server = FunctionsHttpServer(
            (host, port), http_routes(functions, config.route_prefix), self.worker
        )
        queue_triggers, timer_triggers = triggers_of(functions)
        queue_service = QueueServiceClient.from_connection_string(storage_connection)
        self.listeners = [
            QueueListener(trigger, queue_service, config.queues, self.stop_event, self.worker)
            for trigger in queue_triggers
            if run_queues
        ]
        self.timers = (
            [TimerRunner(trigger, self.stop_event, self.worker) for trigger in timer_triggers]
            if run_timers
            else []
        )
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self._spawn("http", self.server.serve_forever)
        for listener in self.listeners:
            self._spawn(f"queue:{listener.trigger.queue_name}", listener.run)
        for timer in self.timers:
            self._spawn(f"timer:{timer.trigger.function_name}", timer.run)
        logger.info(
            "serving %d HTTP routes, %d queue triggers, %d timers at %s on %d worker threads",
            len(self.server.routes),
            len(self.listeners),
            len(self.timers),
            self.url,
            self.worker.threads,
        )

    def stop(self) -> None:
        self.stop_event.set()
        if self._threads:
            # shutdown() waits for serve_forever() to return: it would wait forever for a host
            # that was never started.
            self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        for listener in self.listeners:
            listener.close()
        self.worker.shutdown()

    def _spawn(self, name: str, target: object) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)
