"""The Python worker's side of the host: one thread pool that runs every sync invocation."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Any

logger = logging.getLogger("local_host.worker")

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"


def thread_count(environ: Mapping[str, str] = os.environ) -> int:
    """Threads of the worker's pool for sync functions, as the Python worker sizes it.

    azure-functions-python-worker (`azure_functions_worker/dispatcher.py`,
    `_get_sync_tp_max_workers`) reads PYTHON_THREADPOOL_THREAD_COUNT; an unset, non-integer or
    below-1 value falls back to the default, which from Python 3.9 on is no limit of its own:
    `ThreadPoolExecutor(max_workers=None)`, i.e. `min(32, os.cpu_count() + 4)`
    (https://docs.python.org/3.11/library/concurrent.futures.html#threadpoolexecutor).
    """
    value = environ.get(THREAD_COUNT_SETTING, "")
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count >= 1:
        return count
    if value:
        logger.warning(
            "%s=%r is not a whole number >= 1; using the default", THREAD_COUNT_SETTING, value
        )
    return min(32, (os.cpu_count() or 1) + 4)


class FunctionTimedOut(Exception):
    """The invocation ran past host.json's functionTimeout; its thread is still running."""


class FunctionWorker:
    """Runs invocations on the worker's pool and waits for them at most `timeout`.

    The host cancels a timed-out invocation and restarts the language worker. A Python thread
    cannot be stopped from outside, so here the invocation keeps its pool thread until it
    returns on its own; the caller gets FunctionTimedOut at the deadline all the same.
    """

    def __init__(self, threads: int, timeout: timedelta | None) -> None:
        self.threads = threads
        self.timeout = timeout.total_seconds() if timeout is not None else None
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="worker")

    def invoke(self, function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
        future: Future[Any] = self._pool.submit(function, **arguments)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            raise FunctionTimedOut(f"ran longer than {self.timeout}s") from None

    def shutdown(self) -> None:
        # Invocations still running (timed out or not) are left to finish on their own.
        self._pool.shutdown(wait=False, cancel_futures=True)
