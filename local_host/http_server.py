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
_MAX_LINE = 64 * 1024


class _RefusedBody(Exception):
    """The request body cannot be read: a bad length or framing (400), or too large (413)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


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
        try:
            body = self._read_body()
        except _RefusedBody as refused:
            # The rest of the body is unread, so the connection cannot carry another request.
            status = refused.status
            self._send(status, b"", {})
            self.close_connection = True
        else:
            status = self._route(url.path, url.query, body)
        logger.info(
            "%s %s -> %s (%.1f ms)",
            self.command,
            url.path,
            status,
            (time.perf_counter() - started) * 1000,
        )

    def _route(self, path: str, query: str, body: bytes) -> int:
        match = find_route(self.server.routes, self.command, path)
        if match.route is None:
            status = 405 if match.allowed else 404
            headers = {"Allow": ", ".join(sorted(match.allowed))} if match.allowed else {}
            self._send(status, b"", headers)
            return status
        request = func.HttpRequest(
            method=self.command,
            url=f"http://{self.headers.get('Host', 'localhost')}{self.path}",
            headers={name: value for name, value in self.headers.items()},
            params=dict(parse_qsl(query, keep_blank_values=True)),
            route_params=match.params,
            body=body,
        )
        return self._invoke(match.route, request)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked_body()
        declared = self.headers.get("Content-Length")
        try:
            length = int(declared) if declared else 0
        except ValueError:
            raise _RefusedBody(400) from None
        if length < 0:
            raise _RefusedBody(400)
        if length > MAX_REQUEST_BYTES:
            raise _RefusedBody(413)
        return self.rfile.read(length) if length else b""

    def _read_chunked_body(self) -> bytes:
        """A body sent with Transfer-Encoding: chunked (RFC 9112, section 7.1)."""
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(_MAX_LINE)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _RefusedBody(400) from None
            if size < 0:
                raise _RefusedBody(400)
            if size == 0:
                # Trailer fields, if any, end with an empty line.
                while self.rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_REQUEST_BYTES:
                raise _RefusedBody(413)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(_MAX_LINE)  # the CRLF that ends the chunk

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
