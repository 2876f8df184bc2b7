"""Service endpoints (health, OpenAPI) and the problem documents every endpoint answers with."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, TypeAdapter, ValidationError

from functions.http import STATE_CHANGING, Auth, BodyKind, EndpointSpec
from functions.openapi import _registered_functions
from local_host.host import LocalHost
from shared.openapi import Operation, build_document, openapi_path
from shared.services import Services, use_services
from shared.settings import Settings
from shared.storage.clients import storage_from_settings
from shared.validation import WholeNumber
from tests.api_client import ApiClient
from tests.azurite import ACCOUNT, ACCOUNT_KEY, refused_port

PROBLEM_JSON = "application/problem+json"


def storage_at(port: int, settings: Settings) -> Services:
    connection = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
        f"QueueEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )
    settings = settings.model_copy(update={"storage_connection": connection})
    return Services(settings=settings, storage=storage_from_settings(settings))


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON)
    document: dict[str, Any] = response.json()
    assert document["status"] == status
    assert document["code"] == code
    assert document["type"].endswith("/" + code)
    assert document["title"] and document["detail"]
    assert "Traceback" not in response.text
    return document


# --- health ----------------------------------------------------------------------------------


def test_health_is_ok_when_storage_answers(api: ApiClient) -> None:
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_503_at_once_when_storage_refuses_connections(
    api: ApiClient, services: Services
) -> None:
    with refused_port() as port:
        use_services(storage_at(port, services.settings))
        started = time.monotonic()
        response = api.get("/api/health")
    assert time.monotonic() - started < 2
    assert_problem(response, 503, "storage_unavailable")


def test_health_is_503_within_seconds_when_storage_hangs(
    api: ApiClient, services: Services, silent_server: int
) -> None:
    use_services(storage_at(silent_server, services.settings))
    started = time.monotonic()
    response = api.get("/api/health")
    assert time.monotonic() - started < 6
    assert_problem(response, 503, "storage_unavailable")


# --- OpenAPI ---------------------------------------------------------------------------------


@pytest.fixture
def openapi(api: ApiClient) -> dict[str, Any]:
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def test_the_openapi_document_is_a_valid_3_1_document(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1.")
    validate(openapi)  # raises on an invalid document
    assert openapi["info"]["title"] and openapi["info"]["version"]


def test_the_openapi_document_lists_health(openapi: dict[str, Any]) -> None:
    health = openapi["paths"]["/api/health"]["get"]
    assert health["operationId"] == "get_health"
    ok = health["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Health"}
    assert openapi["components"]["schemas"]["Health"]["required"] == ["status"]
    unavailable = health["responses"]["503"]["content"][PROBLEM_JSON]["schema"]
    assert unavailable == {
        "allOf": [{"$ref": "#/components/schemas/Problem"}],
        "properties": {"code": {"enum": ["storage_unavailable"]}},
    }
    assert health["responses"]["503"]["x-problem-codes"] == ["storage_unavailable"]


def test_every_registered_http_route_appears_with_its_methods(
    openapi: dict[str, Any], http_host: LocalHost
) -> None:
    served: dict[str, set[str]] = {}
    for route in http_host.server.routes:
        path = openapi_path("/" + route.template)
        if not path.startswith("/api/"):
            continue  # the portal's pages are not the API
        served.setdefault(path, set()).update(method.lower() for method in route.methods)
    assert "/api/health" in served
    assert {path: set(item) for path, item in openapi["paths"].items()} == served


def test_request_bodies_and_queries_are_described_by_their_models(
    openapi: dict[str, Any],
) -> None:
    login = openapi["paths"]["/api/dev/login"]["post"]
    schema = login["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/DevLogin"}
    model = openapi["components"]["schemas"]["DevLogin"]
    assert model["required"] == ["email"]
    assert model["additionalProperties"] is False
    for status in ("400", "413", "422"):
        assert login["responses"][status]["content"][PROBLEM_JSON]
    emails = openapi["paths"]["/api/dev/emails"]["get"]
    assert [p["name"] for p in emails["parameters"] if p["in"] == "query"] == ["to"]


CONSTRAINTS = ("minimum", "maximum", "minLength", "maxLength", "pattern", "format", "enum")


def _declared(function_app: Any) -> list[tuple[str, str, EndpointSpec]]:
    """(path, method, declaration) of every registered HTTP function."""
    found = []
    for function in _registered_functions(function_app):
        spec = getattr(function.get_user_function(), "endpoint_spec", None)
        trigger = function.get_trigger()
        if spec is None or trigger is None:
            continue
        described = trigger.get_dict_repr()
        for method in described.get("methods") or ["GET"]:
            name = str(getattr(method, "value", method)).upper()
            found.append((openapi_path("/" + described["route"]), name, spec))
    return found


def _constraints(schema: dict[str, Any]) -> dict[str, Any]:
    """The bounds, formats, patterns and enums of a schema, wherever its branches hold them."""
    found = {key: schema[key] for key in CONSTRAINTS if key in schema}
    for branch in schema.get("anyOf", []):
        found.update(_constraints(branch))
    return found


def test_every_parameter_carries_its_models_constraints(
    openapi: dict[str, Any], function_app: Any
) -> None:
    checked = 0
    for path, method, spec in _declared(function_app):
        operation = openapi["paths"][path][method.lower()]
        documented = {p["name"]: p for p in operation.get("parameters", [])}
        for model in (spec.query, spec.path):
            if model is None:
                continue
            schema = model.model_json_schema()
            for name, property_schema in schema["properties"].items():
                expected = _constraints(property_schema)
                parameter = documented[name]
                assert parameter["required"] == (name in schema.get("required", [])), name
                assert _constraints(parameter["schema"]) == expected, (path, name)
                checked += len(expected)
    assert checked >= 10


def test_paging_limits_and_emails_are_bounded_in_the_document(openapi: dict[str, Any]) -> None:
    licenses = openapi["paths"]["/api/subscriptions/{subscription_id}/licenses"]
    limit = next(p for p in licenses["get"]["parameters"] if p["name"] == "limit")
    assert _constraints(limit["schema"]) == {"minimum": 1, "maximum": 1000}
    email = next(p for p in licenses["get"]["parameters"] if p["name"] == "cursor")
    assert _constraints(email["schema"])["maxLength"] == 1024
    schemas = openapi["components"]["schemas"]
    emails = schemas["AssignBody"]["properties"]["emails"]
    assert emails["items"]["format"] == "email"
    assert (emails["minItems"], emails["maxItems"]) == (1, 1000)
    assert schemas["AssignBody"]["additionalProperties"] is False
    path_email = next(
        p
        for p in openapi["paths"]["/api/subscriptions/{subscription_id}/licenses/{email}"][
            "delete"
        ]["parameters"]
        if p["name"] == "email"
    )
    assert path_email["schema"]["format"] == "email"


def test_every_status_a_route_can_answer_is_listed_with_its_codes(
    openapi: dict[str, Any], function_app: Any
) -> None:
    def codes(operation: dict[str, Any], status: int) -> list[str]:
        response = operation["responses"][str(status)]
        listed: list[str] = response["x-problem-codes"]
        schema = response["content"][PROBLEM_JSON]["schema"]
        assert schema["allOf"] == [{"$ref": "#/components/schemas/Problem"}]
        assert schema["properties"]["code"]["enum"] == listed
        return listed

    for path, method, spec in _declared(function_app):
        operation = openapi["paths"][path][method.lower()]
        if not isinstance(spec.errors, Mapping):
            # A declaration of bare statuses does not say which codes they carry; the
            # document then promises none for them.
            for status in spec.errors:
                assert "x-problem-codes" not in operation["responses"][str(status)]
            continue
        if spec.auth is not Auth.WEBHOOK:
            assert "unauthenticated" in codes(operation, 401), path
            if method in STATE_CHANGING:
                assert "origin_mismatch" in codes(operation, 403), (method, path)
        if spec.auth is Auth.MANAGER:
            assert "forbidden" in codes(operation, 403), path
        if "{subscription_id}" in path:
            assert "not_found" in codes(operation, 404), path
        if spec.body_kind is BodyKind.JSON:
            for status, code in (
                (400, "invalid_json"),
                (413, "payload_too_large"),
                (415, "unsupported_media_type"),
                (422, "validation_error"),
            ):
                assert code in codes(operation, status), (path, status)
    assign = openapi["paths"]["/api/subscriptions/{subscription_id}/licenses"]["post"]
    assert {"not_enough_seats", "concurrent_change"} <= set(codes(assign, 409))
    invitation = openapi["paths"]["/api/invitations/{token}"]["get"]
    assert codes(invitation, 410) == ["invitation_expired", "invitation_used"]


def test_credentials_are_security_schemes_not_parameters(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["session"] == schemes["session"] | {"type": "apiKey", "in": "cookie"}
    assert schemes["session"]["name"] == "smm_session"
    assert "__Host-smm_session" in schemes["session"]["description"]
    assert "Origin" in schemes["session"]["description"]
    assert schemes["apiKey"]["scheme"] == "bearer"
    assert schemes["addinToken"]["bearerFormat"] == "JWT"
    assert schemes["stripeSignature"]["name"] == "Stripe-Signature"
    for item in openapi["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in ("path", "query"), parameter
    me = openapi["paths"]["/api/me"]["get"]
    assert me["security"] == [{"session": []}]
    licenses = openapi["paths"]["/api/subscriptions/{subscription_id}/licenses"]["get"]
    assert licenses["security"] == [{"session": []}, {"apiKey": []}]
    assert openapi["paths"]["/api/license"]["get"]["security"] == [{"addinToken": []}]


@pytest.mark.parametrize("value", [2885, 2885.0])
def test_an_integer_of_a_body_is_what_json_schema_calls_one(value: object) -> None:
    assert TypeAdapter(WholeNumber).validate_python(value) == 2885
    assert TypeAdapter(WholeNumber).json_schema() == {"type": "integer"}


@pytest.mark.parametrize("value", [2.5, "5", True, float("inf")])
def test_anything_else_is_not_an_integer(value: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(WholeNumber).validate_python(value)


class _Thing(BaseModel):
    name: str


def _operation(path: str, method: str = "GET", body: type[BaseModel] | None = None) -> Operation:
    return Operation(
        path=path,
        method=method,
        operation_id=f"{method.lower()}_{len(path)}",
        summary="a test operation",
        security=(),
        body=body,
        body_media_type=None,
        query=None,
        response=_Thing,
        status=200,
        response_type="application/json",
    )


def test_route_templates_become_openapi_path_templates() -> None:
    document = build_document(
        [
            _operation("/api/items/{id:int}"),
            _operation("/api/reports/{year:int}/{month?}"),
            _operation("/api/files/{*path}"),
            _operation("/api/things", "POST", body=_Thing),
        ],
        title="t",
        version="1",
    )
    validate(document)
    assert set(document["paths"]) == {
        "/api/items/{id}",
        "/api/reports/{year}/{month}",
        "/api/files/{path}",
        "/api/things",
    }
    item = document["paths"]["/api/items/{id}"]["get"]
    assert item["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]


# --- problem documents -----------------------------------------------------------------------


def test_invalid_json_is_a_400_problem(api: ApiClient) -> None:
    response = api.post(
        "/api/dev/login",
        data=b'{"email": "x@contoso.com",',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_json")


def test_a_missing_json_body_is_a_400_problem(api: ApiClient) -> None:
    assert_problem(api.post("/api/dev/login"), 400, "invalid_json")


def test_a_body_over_one_mebibyte_is_a_413_problem(api: ApiClient) -> None:
    padding = "x" * (1024 * 1024)
    response = api.post(
        "/api/dev/login",
        data=f'{{"email": "x@contoso.com", "name": "{padding}"}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")


def test_an_unknown_field_is_a_422_naming_it(api: ApiClient) -> None:
    response = api.post("/api/dev/login", json={"email": "x@contoso.com", "bogus": 1})
    document = assert_problem(response, 422, "validation_error")
    assert [error["field"] for error in document["errors"]] == ["bogus"]
    assert all(error["message"] for error in document["errors"])


def test_an_invalid_email_is_a_422_naming_the_field(api: ApiClient) -> None:
    response = api.post("/api/dev/login", json={"email": "not-an-email"})
    document = assert_problem(response, 422, "validation_error")
    assert [error["field"] for error in document["errors"]] == ["email"]
    assert "not-an-email" not in response.text  # input values are not echoed


def test_an_invalid_query_parameter_is_a_422_naming_it(api: ApiClient) -> None:
    response = api.get("/api/dev/emails", params={"to": "nobody"})
    document = assert_problem(response, 422, "validation_error")
    assert [error["field"] for error in document["errors"]] == ["to"]
