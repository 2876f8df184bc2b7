"""Serves the app's HTTP functions with waitress, one log line per request.

waitress is a WSGI server with a fixed pool of request threads: the model of the Python
worker, which runs sync functions on one thread pool of PYTHON_THREADPOOL_THREAD_COUNT
threads. Its listen backlog and connection limit are set far above a burst of 64, so
connections wait for a free thread instead of being refused or reset.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from wsgiref.util import is_hop_by_hop

import azure.functions as func
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from local_host.routes import HttpRoute, find_route
from local_host.worker import FunctionTimedOut, FunctionWorker

logger = logging.getLogger("local_host.http")

# The Functions host caps request bodies at 100 MB; the app refuses more than 1 MiB itself.
MAX_REQUEST_BYTES = 100 * 1024 * 1024
# Connections the OS queues before waitress accepts them, and that waitress keeps open at
# once: a burst of a few hundred clients waits for a thread instead of being refused.
LISTEN_BACKLOG = 2048
CONNECTION_LIMIT = 1000
# Matches the `type` of the app's own problem documents, so clients see one vocabulary.
PROBLEM_TYPE_BASE = "https://securemailmerge.com/problems/"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def query_parameters(query: str) -> dict[str, str]:
    """The query as the host hands it to a function.

    ASP.NET Core collects values by key, case-insensitively (the first spelling names the key);
    the host passes each key's values joined with "," and leaves out a key whose joined value
    is empty (`?limit=` arrives as no `limit` at all).
    """
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        key = names.setdefault(name.lower(), name)
        values.setdefault(key, []).append(value)
    joined = {name: ",".join(parts) for name, parts in values.items()}
    return {name: value for name, value in joined.items() if value}


def not_found(method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    document = {
        "type": PROBLEM_TYPE_BASE + "not_found",
        "title": "Not found",
        "status": 404,
        "detail": f"No function answers {method} {path}.",
        "code": "not_found",
    }
    return 404, [("Content-Type", "application/problem+json; charset=utf-8")], _json(document)


def _json(document: dict[str, object]) -> bytes:
    return json.dumps(document).encode("utf-8")


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


class FunctionsWsgiApp:
    """Adapts each WSGI request to a func.HttpRequest and runs the matched function."""

    def __init__(self, routes: list[HttpRoute], worker: FunctionWorker) -> None:
        self.routes = routes
        self.worker = worker

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"].upper()
        # REQUEST_URI is the target as sent (PATH_INFO is already percent-decoded, which would
        # turn an encoded "/" inside a parameter into a separator).
        target = urlsplit(environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/")))
        path = target.path or "/"
        try:
            status, headers, body = self._respond(environ, method, path, target.query)
        except Exception:
            logger.exception("%s %s could not be served", method, path)
            status, headers, body = 500, [], b""
        # waitress owns the framing: hop-by-hop headers from a function would make it fail.
        headers = [
            (name, value)
            for name, value in headers
            if name.lower() != "content-length" and not is_hop_by_hop(name)
        ]
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_phrase(status)}", headers)
        logger.info(
            "%s %s -> %s (%.1f ms)", method, path, status, (time.perf_counter() - started) * 1000
        )
        return [body]

    def _respond(
        self, environ: dict[str, Any], method: str, path: str, query: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        match = find_route(self.routes, method, path)
        if match.route is None:
            return not_found(method, path)
        headers = _request_headers(environ)
        request = func.HttpRequest(
            method=method,
            url=f"http://{headers.get('host', 'localhost')}{path}" + (f"?{query}" if query else ""),
            headers=headers,
            params=query_parameters(query),
            route_params=match.params,
            body=environ["wsgi.input"].read(),
        )
        return self._invoke(match.route, request)

    def _invoke(
        self, route: HttpRoute, request: func.HttpRequest
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            response = self.worker.invoke(route.call, {route.arg_name: request})
        except FunctionTimedOut:
            # The host fails a timed-out invocation like one that raised: 500, no body.
            logger.error(
                "function %s timed out after %ss; its thread runs on",
                route.function_name,
                self.worker.timeout,
            )
            return 500, [], b""
        except Exception:
            # The real host answers 500 with no body when a function raises.
            logger.exception("function %s raised", route.function_name)
            return 500, [], b""
        if not isinstance(response, func.HttpResponse):
            logger.error("function %s returned %r", route.function_name, type(response))
            return 500, [], b""
        headers = list(response.headers.items())
        if not any(name.lower() == "content-type" for name, _ in headers) and response.mimetype:
            headers.append(("Content-Type", f"{response.mimetype}; charset={response.charset}"))
        return response.status_code, headers, response.get_body() or b""


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class FunctionsHttpServer:
    """waitress serving FunctionsWsgiApp on (host, port); port 0 takes a free one."""

    def __init__(
        self, address: tuple[str, int], routes: list[HttpRoute], worker: FunctionWorker
    ) -> None:
        self.routes = routes
        self.app = FunctionsWsgiApp(routes, worker)
        host, port = address
        server = create_server(
            self.app,
            host=host,
            port=port,
            threads=worker.threads,
            backlog=LISTEN_BACKLOG,
            connection_limit=CONNECTION_LIMIT,
            max_request_body_size=MAX_REQUEST_BYTES,
            # No Server header, as behind the Functions front end.
            ident="",
            # The loop's wake-up period bounds how long stop() waits.
            asyncore_loop_timeout=1,
        )
        assert isinstance(server, BaseWSGIServer)  # one address: one listening socket
        self._server = server
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop accepting, close every connection and wait (briefly) for the loop to end."""
        # Closing the sockets from the loop's own thread: the loop ends when its map is empty.
        try:
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        except OSError:
            # The wake-up pipe is already closed: close from here instead; the loop sees its
            # empty map within asyncore_loop_timeout.
            logger.warning("the server's wake-up pipe was closed; closing its sockets directly")
            wasyncore.close_all(self._server._map)
        self._stopped.wait(timeout=5)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)

    def server_close(self) -> None:
        if not self._stopped.is_set():
            # Never started: nothing runs the loop, so close its sockets here.
            wasyncore.close_all(self._server._map)
            self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
