"""Fixtures for the local host's own tests: small function apps served on a free port."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import azure.functions as func
import pytest

from local_host.config import HostConfig
from local_host.host import LocalHost

# HTTP-only hosts never call storage; the queue client they build is lazy.
NO_STORAGE = "UseDevelopmentStorage=true"

Serve = Callable[..., LocalHost]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a LocalHost for a test's own FunctionApp (port 0: the OS picks a free one)."""
    started: list[LocalHost] = []

    def start(
        app: func.FunctionApp,
        config: HostConfig | None = None,
        *,
        storage: str = NO_STORAGE,
        run_queues: bool = False,
        run_timers: bool = False,
    ) -> LocalHost:
        host = LocalHost(
            app,
            config or HostConfig(),
            storage,
            port=0,
            run_queues=run_queues,
            run_timers=run_timers,
        )
        host.start()
        started.append(host)
        return host

    yield start
    for host in started:
        host.stop()
