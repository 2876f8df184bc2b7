"""The local host's HTTP side: routing, methods, routePrefix, failures, one log line a request."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote

import azure.functions as func
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_host.config import HostConfig
from local_host.routes import compile_template, find_route, http_routes
from tests.local_host.conftest import Serve


def _echo(function: str, req: func.HttpRequest) -> func.HttpResponse:
    document = {
        "function": function,
        "method": req.method,
        "params": dict(req.route_params),
        "query": dict(req.params),
        "body": req.get_body().decode("utf-8"),
    }
    return func.HttpResponse(json.dumps(document), mimetype="application/json")


def build_app() -> func.FunctionApp:
    """A small app whose routes exercise every kind of template segment."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="users/{email}", methods=["GET"])
    def get_user(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("get_user", req)

    @app.route(route="users/me", methods=["GET"])
    def get_me(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("get_me", req)

    @app.route(route="items/{id:int}", methods=["GET"])
    def get_item_by_id(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("get_item_by_id", req)

    @app.route(route="items/{name}", methods=["GET", "DELETE"])
    def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("item_by_name", req)

    @app.route(route="things", methods=["GET"])
    def list_things(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("list_things", req)

    @app.route(route="things", methods=["POST"])
    def create_thing(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("create_thing", req)

    @app.route(route="reports/{year:int}/{month?}", methods=["GET"])
    def get_report(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("get_report", req)

    @app.route(route="files/{*path}", methods=["GET"])
    def get_file(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("get_file", req)

    @app.route(route="boom", methods=["GET", "POST"])
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret detail that must not leak")

    @app.route(route="not-a-response", methods=["GET"])
    def not_a_response(req: func.HttpRequest) -> func.HttpResponse:
        return "a string"  # type: ignore[return-value]

    @app.route(route="empty", methods=["GET"])
    def empty(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(status_code=204)

    @app.route(route="framed", methods=["GET"])
    def framed(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            "framed", headers={"Connection": "close", "Content-Length": "999", "X-Ok": "1"}
        )

    @app.route(route="anything")
    def any_method(req: func.HttpRequest) -> func.HttpResponse:
        return _echo("any_method", req)

    @app.route(route="headed", methods=["GET", "HEAD"])
    def headed(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("a body", headers={"X-Kind": "headed"}, mimetype="text/plain")

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    # One server for the module: get_functions() may be called once per app.
    from local_host.host import LocalHost

    host = LocalHost(
        build_app(),
        HostConfig(),
        "UseDevelopmentStorage=true",
        port=0,
        run_queues=False,
        run_timers=False,
    )
    host.start()
    yield host.url
    host.stop()


def get(base_url: str, path: str, **kwargs: object) -> requests.Response:
    return requests.get(base_url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def called(response: requests.Response) -> dict[str, object]:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()  # type: ignore[no-any-return]


# --- routing ---------------------------------------------------------------------------------


def test_route_parameters_are_percent_decoded(base_url: str) -> None:
    echoed = called(get(base_url, "/api/users/ann%40contoso.com"))
    assert echoed["function"] == "get_user"
    assert echoed["params"] == {"email": "ann@contoso.com"}


def test_a_literal_segment_outranks_a_parameter_whatever_the_declaration_order(
    base_url: str,
) -> None:
    assert called(get(base_url, "/api/users/me"))["function"] == "get_me"
    assert called(get(base_url, "/api/users/mel"))["function"] == "get_user"


def test_literal_segments_match_case_insensitively(base_url: str) -> None:
    assert called(get(base_url, "/API/Users/ME"))["function"] == "get_me"
    # Parameter values keep their case.
    assert called(get(base_url, "/api/USERS/Ann"))["params"] == {"email": "Ann"}


def test_a_trailing_slash_matches_the_same_route(base_url: str) -> None:
    assert called(get(base_url, "/api/users/me/"))["function"] == "get_me"
    assert called(get(base_url, "/api/things/"))["function"] == "list_things"


def test_an_int_constraint_selects_by_the_value(base_url: str) -> None:
    by_id = called(get(base_url, "/api/items/42"))
    assert (by_id["function"], by_id["params"]) == ("get_item_by_id", {"id": "42"})
    by_name = called(get(base_url, "/api/items/forty-two"))
    assert (by_name["function"], by_name["params"]) == ("item_by_name", {"name": "forty-two"})


def test_a_method_only_the_less_specific_route_allows_reaches_that_route(base_url: str) -> None:
    deleted = requests.delete(base_url + "/api/items/42", timeout=10)
    assert called(deleted)["function"] == "item_by_name"


def test_optional_and_catch_all_parameters(base_url: str) -> None:
    assert called(get(base_url, "/api/reports/2024"))["params"] == {"year": "2024"}
    assert called(get(base_url, "/api/reports/2024/05"))["params"] == {
        "year": "2024",
        "month": "05",
    }
    assert get(base_url, "/api/reports/last-year").status_code == 404
    assert called(get(base_url, "/api/files/a/b%20c/d.txt"))["params"] == {"path": "a/b c/d.txt"}
    assert called(get(base_url, "/api/files"))["params"] == {}


def test_query_and_body_reach_the_function(base_url: str) -> None:
    response = requests.post(
        base_url + "/api/things?to=ann%2Bx%40contoso.com&name=a+b",
        data="héllo".encode(),
        timeout=10,
    )
    echoed = called(response)
    assert echoed["method"] == "POST"
    assert echoed["query"] == {"to": "ann+x@contoso.com", "name": "a b"}
    assert echoed["body"] == "héllo"


def test_a_query_parameter_with_an_empty_value_does_not_reach_the_function(
    base_url: str,
) -> None:
    # `?limit=` must mean "the default", as in Azure, not an invalid limit.
    echoed = called(get(base_url, "/api/things?limit=&flag&cursor=abc"))
    assert echoed["query"] == {"cursor": "abc"}


def test_a_repeated_query_parameter_arrives_once_with_its_values_joined_by_commas(
    base_url: str,
) -> None:
    echoed = called(get(base_url, "/api/things?status=active&status=pending&Status=x"))
    # Keys compare case-insensitively; the first spelling names the key.
    assert echoed["query"] == {"status": "active,pending,x"}
    # Blank values among others are kept in the joined value, as ASP.NET Core joins them.
    assert called(get(base_url, "/api/things?a=&a=1"))["query"] == {"a": ",1"}


def test_a_chunked_request_body_reaches_the_function_whole(base_url: str) -> None:
    with requests.Session() as session:
        response = session.post(
            base_url + "/api/things", data=iter([b"first,", b"second"]), timeout=10
        )
        assert called(response)["body"] == "first,second"
        # The connection is still in step: the next request on it is answered normally.
        assert called(session.get(base_url + "/api/things", timeout=10))["body"] == ""


# --- methods and unknown paths ---------------------------------------------------------------


def assert_not_found_problem(response: requests.Response) -> None:
    assert response.status_code == 404, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "Allow" not in response.headers
    problem = response.json()
    assert set(problem) == {"type", "title", "status", "detail", "code"}
    assert (problem["status"], problem["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/things"),
        ("DELETE", "/api/things"),
        ("PATCH", "/api/items/42"),
        ("POST", "/api/users/me"),
        ("OPTIONS", "/api/things"),
        ("TRACE", "/api/things"),
        ("TRACE", "/api/nothing-here"),
        ("FROBNICATE", "/api/things"),
        # HEAD is not GET: a route must declare it.
        ("HEAD", "/api/things"),
    ],
)
def test_a_method_the_route_does_not_have_is_a_404_problem_as_in_azure(
    base_url: str, method: str, path: str
) -> None:
    response = requests.request(method, base_url + path, timeout=10)
    if method == "HEAD":
        assert response.status_code == 404 and response.content == b""
        assert response.headers["Content-Type"].startswith("application/problem+json")
        return
    assert_not_found_problem(response)


def test_a_route_that_declares_no_methods_answers_every_method(base_url: str) -> None:
    for method in ("GET", "POST", "DELETE", "TRACE", "FROBNICATE"):
        echoed = called(requests.request(method, base_url + "/api/anything", timeout=10))
        assert (echoed["function"], echoed["method"]) == ("any_method", method)


def test_head_answers_the_headers_without_the_body(base_url: str) -> None:
    head = requests.head(base_url + "/api/headed", timeout=10)
    assert head.status_code == 200
    assert head.headers["X-Kind"] == "headed"
    assert head.headers["Content-Length"] == str(len(b"a body"))
    assert head.content == b""
    assert requests.get(base_url + "/api/headed", timeout=10).content == b"a body"


@pytest.mark.parametrize(
    "path", ["/api/nothing-here", "/api/users/a/b", "/users/me", "/api", "/", "/api/itemsx/1"]
)
def test_an_unknown_path_is_a_404_problem(base_url: str, path: str) -> None:
    assert_not_found_problem(get(base_url, path))


def test_framing_headers_a_function_sets_are_the_servers_own(base_url: str) -> None:
    response = get(base_url, "/api/framed")
    assert response.status_code == 200
    assert response.content == b"framed"
    assert response.headers["Content-Length"] == "6"
    assert response.headers["X-Ok"] == "1"


def test_a_function_that_raises_is_500_with_an_empty_body(base_url: str) -> None:
    for response in (get(base_url, "/api/boom"), requests.post(base_url + "/api/boom", timeout=10)):
        assert response.status_code == 500
        assert response.content == b""
        assert "secret" not in str(response.headers)


def test_a_function_that_returns_no_http_response_is_500(base_url: str) -> None:
    response = get(base_url, "/api/not-a-response")
    assert response.status_code == 500
    assert response.content == b""


def test_an_invalid_content_length_is_400_not_a_dropped_connection(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        status_line = connection.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 400"), status_line


def test_a_body_over_the_hosts_limit_is_413_without_being_read(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n"
        )
        status_line = connection.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line


def test_each_request_is_logged_once(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    def lines() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == "local_host.http" and record.levelno == logging.INFO
        ]

    with caplog.at_level(logging.INFO, logger="local_host.http"):
        get(base_url, "/api/users/me")
        get(base_url, "/api/nothing-here")
        requests.put(base_url + "/api/things", timeout=10)
        get(base_url, "/api/boom")
        # The server logs after it has answered: give the last line a moment to arrive.
        deadline = time.monotonic() + 5
        while len(lines()) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    # Each request is served on its own thread, so the lines may come in any order; a line
    # of an earlier test's request may still arrive late, so only this test's requests count.
    ours = ("GET /api/boom ", "GET /api/nothing-here ", "GET /api/users/me ", "PUT /api/things ")
    logged = sorted(line.split(" (")[0] for line in lines() if line.startswith(ours))
    assert logged == [
        "GET /api/boom -> 500",
        "GET /api/nothing-here -> 404",
        "GET /api/users/me -> 200",
        "PUT /api/things -> 404",
    ]
    assert all(line.endswith(" ms)") for line in lines())


# --- routePrefix -----------------------------------------------------------------------------


def test_the_route_prefix_of_host_json_is_honoured(serve: Serve) -> None:
    host = serve(build_app(), HostConfig(route_prefix="v1"))
    assert called(get(host.url, "/v1/users/me"))["function"] == "get_me"
    assert get(host.url, "/api/users/me").status_code == 404


def test_an_empty_route_prefix_serves_routes_at_the_root(serve: Serve) -> None:
    host = serve(build_app(), HostConfig(route_prefix=""))
    assert called(get(host.url, "/users/me"))["function"] == "get_me"
    assert called(get(host.url, "/items/7"))["function"] == "get_item_by_id"


# --- the route table itself, over many inputs ------------------------------------------------


def _table() -> list:  # type: ignore[type-arg]
    return http_routes(build_app().get_functions(), "api")


ROUTES = _table()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=40))
def test_any_parameter_value_round_trips_through_percent_encoding(value: str) -> None:
    match = find_route(ROUTES, "GET", "/api/users/" + quote(value, safe=""))
    assert match.route is not None
    if value.lower() == "me":
        assert match.route.function_name == "get_me"
    else:
        assert match.route.function_name == "get_user"
        assert match.params == {"email": value}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_any_integer_selects_the_constrained_route(number: int) -> None:
    match = find_route(ROUTES, "GET", f"/api/items/{number}")
    assert match.route is not None and match.route.function_name == "get_item_by_id"
    assert match.params == {"id": str(number)}


def test_precedence_orders_literal_constrained_parameter_catch_all() -> None:
    precedences = [
        compile_template(template, "api")[1] for template in ("a/b", "a/{x:int}", "a/{x}", "a/{*x}")
    ]
    assert precedences == sorted(precedences)
    assert len(set(precedences)) == 4


def test_a_host_that_was_never_started_stops_at_once() -> None:
    from local_host.host import LocalHost

    host = LocalHost(build_app(), HostConfig(), "UseDevelopmentStorage=true", port=0)
    stopper = threading.Thread(target=host.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=5)
    assert not stopper.is_alive()
