"""The worker's thread pool: its size, functionTimeout, and bursts of connections."""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import azure.functions as func
import pytest
import requests
from azure.functions.timer import TimerRequest

from local_host.config import HostConfig
from local_host.host import LocalHost
from local_host.triggers import TimerRunner, TimerTrigger
from local_host.worker import FunctionTimedOut, FunctionWorker, thread_count

DEFAULT_THREADS = min(32, (os.cpu_count() or 1) + 4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT_THREADS),
        ("8", 8),
        ("1", 1),
        ("64", 64),
        # Values the Python worker refuses fall back to its default.
        ("0", DEFAULT_THREADS),
        ("-3", DEFAULT_THREADS),
        ("many", DEFAULT_THREADS),
        ("", DEFAULT_THREADS),
    ],
)
def test_the_pool_is_sized_as_the_python_worker_sizes_it(value: str | None, expected: int) -> None:
    environ = {} if value is None else {"PYTHON_THREADPOOL_THREAD_COUNT": value}
    assert thread_count(environ) == expected


def test_an_invocation_past_the_timeout_raises_at_the_deadline() -> None:
    worker = FunctionWorker(2, timedelta(milliseconds=200))
    release = threading.Event()
    started = time.monotonic()
    with pytest.raises(FunctionTimedOut):
        worker.invoke(lambda: release.wait(10), {})
    assert time.monotonic() - started < 2
    assert worker.invoke(lambda value: value * 2, {"value": 21}) == 42
    release.set()
    worker.shutdown()


def slow_app(release: threading.Event, calls: list[str]) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="slow", methods=["GET"])
    def slow(req: func.HttpRequest) -> func.HttpResponse:
        calls.append("slow")
        release.wait(10)
        return func.HttpResponse("late", status_code=200)

    @app.route(route="quick", methods=["GET"])
    def quick(req: func.HttpRequest) -> func.HttpResponse:
        time.sleep(0.02)
        return func.HttpResponse("quick", status_code=200)

    return app


def test_an_http_function_past_function_timeout_is_a_500_with_no_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release, calls = threading.Event(), []  # type: ignore[var-annotated]
    host = LocalHost(
        slow_app(release, calls),
        HostConfig(function_timeout=timedelta(milliseconds=300)),
        "UseDevelopmentStorage=true",
        port=0,
        run_queues=False,
        run_timers=False,
        threads=2,
    )
    host.start()
    try:
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="local_host.http"):
            response = requests.get(host.url + "/api/slow", timeout=10)
        assert time.monotonic() - started < 5
        assert response.status_code == 500
        assert response.content == b""
        assert calls == ["slow"]
        assert any("timed out" in record.getMessage() for record in caplog.records)
        # The host still answers while the timed-out function holds its thread.
        assert requests.get(host.url + "/api/quick", timeout=10).text == "quick"
    finally:
        release.set()
        host.stop()


def test_a_timer_function_past_function_timeout_is_logged_as_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()
    trigger = TimerTrigger("stuck", "0 0 0 * * *", False, "timer", lambda timer: release.wait(10))
    runner = TimerRunner(trigger, threading.Event(), FunctionWorker(1, timedelta(seconds=0.2)))
    with caplog.at_level(logging.ERROR, logger="local_host.triggers"):
        runner._fire(past_due=False)
    release.set()
    assert any("stuck timed out" in record.getMessage() for record in caplog.records)


def test_a_burst_of_64_connections_all_get_answers_from_a_small_pool() -> None:
    release = threading.Event()
    host = LocalHost(
        slow_app(release, []),
        HostConfig(),
        "UseDevelopmentStorage=true",
        port=0,
        run_queues=False,
        run_timers=False,
        threads=4,
    )
    host.start()

    def one_request(_: int) -> int:
        # A new connection each time: the burst must be queued, not refused or reset.
        with requests.Session() as session:
            return session.get(host.url + "/api/quick", timeout=30).status_code

    try:
        with ThreadPoolExecutor(max_workers=64) as clients:
            statuses = list(clients.map(one_request, range(64)))
    finally:
        host.stop()
    assert statuses == [200] * 64


def test_stop_is_prompt_even_with_a_connection_open() -> None:
    host = LocalHost(
        slow_app(threading.Event(), []),
        HostConfig(),
        "UseDevelopmentStorage=true",
        port=0,
        run_queues=False,
        run_timers=False,
    )
    host.start()
    session = requests.Session()
    assert session.get(host.url + "/api/quick", timeout=10).status_code == 200
    started = time.monotonic()
    host.stop()
    assert time.monotonic() - started < 3
    with pytest.raises(requests.ConnectionError):
        requests.get(host.url + "/api/quick", timeout=2)
    session.close()


def test_a_host_on_port_zero_serves_on_the_port_the_os_chose() -> None:
    host = LocalHost(
        slow_app(threading.Event(), []),
        HostConfig(),
        "UseDevelopmentStorage=true",
        port=0,
        run_queues=False,
        run_timers=False,
    )
    host.start()
    try:
        assert not host.url.endswith(":0")
        assert requests.get(host.url + "/api/quick", timeout=10).text == "quick"
    finally:
        host.stop()


def test_the_timer_request_reaches_the_function_through_the_pool() -> None:
    seen: list[tuple[str, bool]] = []

    def record(timer: TimerRequest) -> None:
        seen.append((threading.current_thread().name, timer.past_due))

    runner = TimerRunner(
        TimerTrigger("t", "0 0 0 * * *", False, "timer", record), threading.Event()
    )
    runner._fire(past_due=True)
    ((thread_name, past_due),) = seen
    assert past_due is True
    assert thread_name.startswith("worker")
