"""Serves the app's HTTP functions on loopback, one log line per request."""

from __future__ import annotations

import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from local_host.routes import HttpRoute, find_route

logger = logging.getLogger("local_host.http")

# The Functions host caps request bodies at 100 MB; the app refuses more than 1 MiB itself.
MAX_REQUEST_BYTES = 100 * 1024 * 1024


class FunctionsHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], routes: list[HttpRoute]) -> None:
        super().__init__(address, _RequestHandler)
        self.routes = routes

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _RequestHandler(BaseHTTPRequestHandler):
    server: FunctionsHttpServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silenced: one line per request is logged by _dispatch."""

    def _dispatch(self) -> None:
        started = time.perf_counter()
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send(413, b"", {})
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        match = find_route(self.server.routes, self.command, url.path)
        if match.route is None:
            status = 405 if match.allowed else 404
            headers = {"Allow": ", ".join(sorted(match.allowed))} if match.allowed else {}
            self._send(status, b"", headers)
        else:
            request = func.HttpRequest(
                method=self.command,
                url=f"http://{self.headers.get('Host', 'localhost')}{self.path}",
                headers={name: value for name, value in self.headers.items()},
                params=dict(parse_qsl(url.query, keep_blank_values=True)),
                route_params=match.params,
                body=body,
            )
            status = self._invoke(match.route, request)
        logger.info(
            "%s %s -> %s (%.1f ms)",
            self.command,
            url.path,
            status,
            (time.perf_counter() - started) * 1000,
        )

    def _invoke(self, route: HttpRoute, request: func.HttpRequest) -> int:
        try:
            response = route.call(**{route.arg_name: request})
        except Exception:
            # The real host answers 500 with no body when a function raises.
            logger.exception("function %s raised", route.function_name)
            self._send(500, b"", {})
            return 500
        if not isinstance(response, func.HttpResponse):
            logger.error("function %s returned %r", route.function_name, type(response))
            self._send(500, b"", {})
            return 500
        headers = list(response.headers.items())
        if not any(name.lower() == "content-type" for name, _ in headers) and response.mimetype:
            headers.append(("Content-Type", f"{response.mimetype}; charset={response.charset}"))
        self._send(response.status_code, response.get_body() or b"", headers)
        return response.status_code

    def _send(
        self, status: int, body: bytes, headers: dict[str, str] | list[tuple[str, str]]
    ) -> None:
        self.send_response(status)
        items = headers.items() if isinstance(headers, dict) else headers
        for name, value in items:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
