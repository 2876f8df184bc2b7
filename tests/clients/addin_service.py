"""The licensing service as the add-in's client module sees it in its tests: Azurite and the
function app on the local host, plus a small control API on another port through which the
tests seed licenses, stop and start the host, and rotate the signing key.

Run as a script (`.venv/bin/python -m tests.clients.addin_service`) it prints one JSON line
({"url", "control", "client_id"}) and serves until its standard input closes; the pytest test
starts the same thing in-process (tests/clients/test_addin_module.py).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from shared.certificates.keys import generate_pem
from shared.identity.addin_tokens import LOCAL_ADDIN_CLIENT_ID
from shared.licenses.seats import Requested, assign
from shared.services import Services, use_services
from shared.settings import load_settings
from shared.storage.clients import storage_from_settings
from tests.azurite import Azurite, free_port
from tests.factories import make_subscription

ROOT = Path(__file__).resolve().parents[2]


class _Indexed:
    def __init__(self, functions: list[Any]) -> None:
        self._functions = functions

    def get_functions(self) -> list[Any]:
        return self._functions


class AddinService:
    def __init__(self, azurite: Azurite) -> None:
        self.azurite = azurite
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = generate_pem()
        self.previous: str | None = None
        self.host: Any = None
        self.storage = storage_from_settings(self._settings(), prefix="a" + uuid.uuid4().hex[:10])
        self.storage.create_all()
        self.services = self._services()
        self.subscription_id = make_subscription(self.services, "owner@contoso.com", quantity=50).id
        self._lock = threading.Lock()
        self._functions: list[Any] | None = None

    def _settings(self) -> Any:
        values: dict[str, Any] = {
            "AzureWebJobsStorage": self.azurite.connection_string,
            "DEV_MODE": True,
            "PORTAL_ORIGIN": self.url,
            "SESSION_SECRET": "addin-tests-" + uuid.uuid4().hex,
            "LICENSE_SIGNING_KEY": self.key,
        }
        if self.previous is not None:
            values["LICENSE_SIGNING_KEYS_PREVIOUS"] = self.previous
        return load_settings(**values)

    def _services(self) -> Services:
        services = Services(settings=self._settings(), storage=self.storage)
        use_services(services)
        return services

    def start(self) -> None:
        import function_app
        from local_host.config import load_host_config
        from local_host.host import LocalHost

        with self._lock:
            if self.host is not None:
                return
            if self._functions is None:
                # The app indexes its functions once; a restarted host reuses that index.
                self._functions = function_app.app.get_functions()
            self.host = LocalHost(
                _Indexed(self._functions),  # type: ignore[arg-type]
                load_host_config(ROOT / "host.json"),
                self.azurite.connection_string,
                port=self.port,
                run_queues=False,
                run_timers=False,
            )
            self.host.start()

    def stop(self) -> None:
        with self._lock:
            if self.host is not None:
                self.host.stop()
                self.host = None

    def rotate(self) -> None:
        """The next key signs; the current one stays published as the previous key."""
        self.previous, self.key = self.key, generate_pem()
        self.services = self._services()

    def license(self, email: str) -> None:
        from shared.subscriptions.store import get_subscription

        subscription = get_subscription(self.services, self.subscription_id)
        assign(self.services, subscription, [Requested(email)], actor="owner@contoso.com")

    def describe(self) -> dict[str, str]:
        return {"url": self.url, "client_id": LOCAL_ADDIN_CLIENT_ID}


def control_server(service: AddinService) -> ThreadingHTTPServer:
    """POST /license {"email"}, /stop, /start, /rotate: each 204 once done."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            actions = {
                "/license": lambda: service.license(body["email"]),
                "/stop": service.stop,
                "/start": service.start,
                "/rotate": service.rotate,
            }
            action = actions.get(self.path)
            if action is None:
                self.send_response(404)
            else:
                action()
                self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    os.environ.setdefault("DEV_MODE", "true")
    azurite = Azurite()
    azurite.start()
    os.environ["AzureWebJobsStorage"] = azurite.connection_string
    service = AddinService(azurite)
    service.start()
    control = control_server(service)
    address = control.server_address
    described = {**service.describe(), "control": f"http://{address[0]}:{address[1]}"}
    sys.stdout.write(json.dumps(described) + "\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()
    finally:
        control.shutdown()
        service.stop()
        azurite.stop()


if __name__ == "__main__":
    main()
