"""A bench run's world: its own Azurite, services over it, and the real function app."""

from __future__ import annotations

import logging
import os
import statistics
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import azure.functions as func
from azure.functions.decorators.function_app import Function

from shared.identity.local_users import local_user
from shared.identity.sessions import SESSION_COOKIE, start_session
from shared.services import Services, use_services
from shared.settings import load_settings
from shared.storage.clients import storage_from_settings
from tests.azurite import Azurite

PORTAL_ORIGIN = "http://127.0.0.1:7071"


@dataclass
class Environment:
    services: Services
    functions: dict[str, Callable[[func.HttpRequest], func.HttpResponse]]
    # The app's indexed functions: FunctionApp.get_functions() indexes once per app.
    indexed: list[Function]
    storage_connection: str

    def get_functions(self) -> list[Function]:
        """The app as LocalHost reads it."""
        return self.indexed

    def call(self, name: str, request: func.HttpRequest) -> func.HttpResponse:
        return self.functions[name](request)

    def session_headers(self, email: str) -> dict[str, str]:
        session_id = start_session(self.services, local_user(email))
        return {"Cookie": f"{SESSION_COOKIE}={session_id}", "Origin": PORTAL_ORIGIN}


@contextmanager
def bench_environment() -> Iterator[Environment]:
    azurite = Azurite()
    azurite.start()
    try:
        os.environ["DEV_MODE"] = "true"
        os.environ["AzureWebJobsStorage"] = azurite.connection_string
        os.environ["PORTAL_ORIGIN"] = PORTAL_ORIGIN
        # The service logs each request's slow paths at INFO; the bench measures, not logs.
        logging.disable(logging.WARNING)
        settings = load_settings()
        storage = storage_from_settings(settings, prefix="b" + uuid.uuid4().hex[:8])
        storage.create_all()
        services = Services(settings=settings, storage=storage)
        use_services(services)
        import function_app

        indexed = function_app.app.get_functions()
        functions = {
            function.get_function_name(): function.get_user_function() for function in indexed
        }
        yield Environment(services, functions, indexed, azurite.connection_string)
    finally:
        use_services(None)
        azurite.stop()


def http_request(
    method: str,
    url: str,
    *,
    route_params: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> func.HttpRequest:
    return func.HttpRequest(
        method=method,
        url=url,
        headers=headers or {},
        params=params or {},
        route_params=route_params or {},
        body=body,
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.3f}"
