"""Session fixtures: a real Azurite, per-test storage, the function app on a local host."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# function_app reads its settings at import: local mode, as `make test` runs it.
os.environ.setdefault("DEV_MODE", "true")
os.environ.setdefault("AzureWebJobsStorage", "UseDevelopmentStorage=true")

from local_host.config import load_host_config  # noqa: E402
from local_host.host import LocalHost  # noqa: E402
from shared.services import Services, use_services  # noqa: E402
from shared.settings import load_settings  # noqa: E402
from shared.storage.clients import storage_from_settings  # noqa: E402
from tests.api_client import ApiClient  # noqa: E402
from tests.azurite import Azurite, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PORTAL_ORIGIN = "http://127.0.0.1:7071"


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    emulator = Azurite()
    emulator.start()
    yield emulator
    emulator.stop()


class Clock:
    """A clock tests can move; starts at the real time so Azurite's own checks agree."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_settings(azurite: Azurite, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "AzureWebJobsStorage": azurite.connection_string,
        "DEV_MODE": True,
        "PORTAL_ORIGIN": PORTAL_ORIGIN,
        "STRIPE_WEBHOOK_SECRET": "whsec_local_dev",
        "SESSION_SECRET": "test-session-secret-" + uuid.uuid4().hex,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def services(azurite: Azurite, clock: Clock) -> Iterator[Services]:
    """Services over tables and queues of this test's own (prefixed) names."""
    settings = make_settings(azurite)
    storage = storage_from_settings(settings, prefix="t" + uuid.uuid4().hex[:10])
    storage.create_all()
    built = Services(settings=settings, storage=storage, clock=clock)
    use_services(built)
    yield built
    use_services(None)


@pytest.fixture(scope="session")
def function_app():  # type: ignore[no-untyped-def]
    import function_app as module

    return module.app


@pytest.fixture(scope="session")
def http_host(azurite: Azurite, function_app) -> Iterator[LocalHost]:  # type: ignore[no-untyped-def]
    """The real function app on the local host, HTTP only (tests drive queues themselves)."""
    host = LocalHost(
        function_app,
        load_host_config(ROOT / "host.json"),
        azurite.connection_string,
        port=free_port(),
        run_queues=False,
        run_timers=False,
    )
    host.start()
    yield host
    host.stop()


@pytest.fixture
def api(http_host: LocalHost, services: Services) -> ApiClient:
    """An HTTP client of the app, served over this test's services."""
    return ApiClient(http_host.url, origin=PORTAL_ORIGIN)
