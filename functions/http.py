"""The one place where HTTP meets the domain: parsing, the caller, and errors as problem documents.

Every HTTP function is declared with `@endpoint(...)` under the blueprint's `route`. The
declaration is also what `GET /api/openapi.json` is generated from, so the contract and the
validation cannot drift apart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import azure.functions as func
from azure.core.exceptions import AzureError
from pydantic import BaseModel, ValidationError

from shared.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    InternalError,
    PayloadTooLarge,
    Problem,
    Unauthenticated,
    UnsupportedMediaType,
    storage_problem,
)
from shared.identity.principal import ANONYMOUS, Principal, PrincipalKind
from shared.identity.resolve import resolve_principal
from shared.identity.sessions import parse_cookies
from shared.services import Services, get_services
from shared.validation import validation_errors

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROBLEM_TYPE_BASE = "https://securemailmerge.com/problems/"


class Auth(StrEnum):
    PUBLIC = "public"  # anyone; the principal is still resolved when a credential is sent
    USER = "user"  # a signed-in portal user (session cookie)
    MANAGER = "manager"  # a portal user or an API key (subscription management)
    ADDIN = "addin"  # the add-in's bearer token
    WEBHOOK = "webhook"  # verified by the handler itself (Stripe-Signature)


# The problems a route answers beyond those its declaration implies (see functions/openapi.py):
# a status with the `code`s it can carry. A bare status means its codes are not enumerated.
ProblemCodes = Mapping[int, Sequence[str]] | Sequence[int]


class BodyKind(StrEnum):
    NONE = "none"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True)
class EndpointSpec:
    summary: str
    auth: Auth
    body: type[BaseModel] | None = None
    body_kind: BodyKind = BodyKind.NONE
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    response_type: str = "application/json"
    errors: ProblemCodes = ()
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """A response other than a plain 200 JSON body."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    content_type: str = "application/json"


@dataclass
class ApiRequest:
    """What a handler receives: the parsed request, its caller and the services."""

    raw: func.HttpRequest
    services: Services
    principal: Principal
    body: Any = None
    query: Any = None
    text: str = ""
    path: Any = None

    def route(self, name: str) -> str:
        return self.raw.route_params[name]

    def header(self, name: str) -> str | None:
        return self.raw.headers.get(name)

    def cookie(self, name: str) -> str | None:
        return request_cookies(self.raw).get(name)


Handler = Callable[[ApiRequest], Any]


def endpoint(
    *,
    summary: str,
    auth: Auth,
    body: type[BaseModel] | None = None,
    body_kind: BodyKind | None = None,
    query: type[BaseModel] | None = None,
    path: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    response_type: str = "application/json",
    errors: ProblemCodes = (),
    headers: Mapping[str, str] | None = None,
) -> Callable[[Handler], Callable[[func.HttpRequest], func.HttpResponse]]:
    """Turn a handler of ApiRequest into an HTTP function with validation and error mapping.

    `path` and `query` are models of the route's and the query string's parameters, `errors`
    the problems the handler raises itself, `headers` the response headers of success with
    their meaning; all of it is also what the OpenAPI document says."""
    spec = EndpointSpec(
        summary=summary,
        auth=auth,
        body=body,
        body_kind=body_kind or (BodyKind.JSON if body else BodyKind.NONE),
        query=query,
        path=path,
        response=response,
        status=status,
        response_type=response_type,
        errors=errors,
        headers=dict(headers or {}),
    )

    def decorate(handler: Handler) -> Callable[[func.HttpRequest], func.HttpResponse]:
        def http_function(req: func.HttpRequest) -> func.HttpResponse:
            return _serve(spec, handler, req)

        # Not functools.wraps: the Functions worker reads the signature, which must stay (req).
        http_function.__name__ = handler.__name__
        http_function.__qualname__ = handler.__qualname__
        http_function.__doc__ = handler.__doc__
        http_function.__module__ = handler.__module__
        http_function.endpoint_spec = spec  # type: ignore[attr-defined]
        return http_function

    return decorate


def _serve(spec: EndpointSpec, handler: Handler, req: func.HttpRequest) -> func.HttpResponse:
    try:
        services = get_services()
        request = _parse(spec, services, req)
        return _to_response(handler(request), spec.status)
    except Problem as problem:
        return problem_response(problem)
    except ValidationError as error:
        return problem_response(FieldError(validation_errors(error)))
    except AzureError as error:
        return problem_response(storage_problem(error, handler.__name__))
    except Exception:
        logger.exception("unhandled error in %s", handler.__name__)
        return problem_response(InternalError("an unexpected error occurred"))


def _parse(spec: EndpointSpec, services: Services, req: func.HttpRequest) -> ApiRequest:
    raw_body = req.get_body() or b""
    if len(raw_body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the request body is larger than {MAX_BODY_BYTES} bytes")

    principal = _principal(spec, services, req)

    path = None
    if spec.path is not None:
        path = spec.path.model_validate(dict(req.route_params))
    query = None
    if spec.query is not None:
        query = spec.query.model_validate(dict(req.params))
    body: Any = None
    text = ""
    if spec.body_kind is BodyKind.JSON:
        body = _json_body(spec, raw_body, req)
    elif spec.body_kind is BodyKind.CSV:
        text = _text_body(raw_body)
    return ApiRequest(req, services, principal, body=body, query=query, text=text, path=path)


def _principal(spec: EndpointSpec, services: Services, req: func.HttpRequest) -> Principal:
    if spec.auth is Auth.WEBHOOK:
        return ANONYMOUS
    principal = resolve_principal(services, req.headers, request_cookies(req))
    if principal.via_cookie and req.method in STATE_CHANGING:
        if req.headers.get("origin") != services.settings.portal_origin:
            raise Forbidden(
                "a signed-in request that changes state must come from the portal's origin",
                code="origin_mismatch",
            )
    allowed = {
        Auth.PUBLIC: None,
        Auth.USER: {PrincipalKind.USER},
        Auth.MANAGER: {PrincipalKind.USER, PrincipalKind.API_KEY},
        Auth.ADDIN: {PrincipalKind.ADDIN},
    }[spec.auth]
    if allowed is not None and principal.kind not in allowed:
        if principal.kind is PrincipalKind.ANONYMOUS:
            raise Unauthenticated("sign in or send a valid credential")
        raise Forbidden("this credential cannot be used for this endpoint")
    return principal


def request_cookies(req: func.HttpRequest) -> Mapping[str, str]:
    """The request's cookies, each read on its own: a malformed neighbour loses none."""
    return parse_cookies(req.headers.get("cookie"))


def _json_body(spec: EndpointSpec, raw_body: bytes, req: func.HttpRequest) -> BaseModel:
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type.startswith("multipart/"):
        raise UnsupportedMediaType("the request body must be JSON")
    try:
        document = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("the request body is not valid UTF-8 JSON", code="invalid_json") from None
    except RecursionError:
        raise BadRequest("the request body is nested too deeply", code="invalid_json") from None
    if document is None:
        raise BadRequest("a JSON request body is required", code="invalid_json")
    assert spec.body is not None
    return spec.body.model_validate(document)


def _text_body(raw_body: bytes) -> str:
    try:
        return raw_body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8", code="invalid_encoding") from None


def _to_response(result: Any, default_status: int) -> func.HttpResponse:
    reply = result if isinstance(result, Reply) else Reply(body=result, status=default_status)
    if reply.body is None:
        payload: bytes | str | None = None
    elif isinstance(reply.body, bytes | str):
        payload = reply.body
    elif isinstance(reply.body, BaseModel):
        payload = reply.body.model_dump_json()
    else:
        payload = json.dumps(reply.body, default=str)
    response = func.HttpResponse(
        payload,
        status_code=reply.status,
        headers=dict(reply.headers),
        mimetype=reply.content_type if payload is not None else None,
        charset="utf-8",
    )
    for cookie in reply.cookies:
        response.headers.add("Set-Cookie", cookie)
    if payload is None:
        response.headers.pop("Content-Type", None)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def problem_document(problem: Problem) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    document.update(problem.extra)
    return document


def problem_response(problem: Problem) -> func.HttpResponse:
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    retry_after = problem.extra.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return func.HttpResponse(
        json.dumps(problem_document(problem), default=str),
        status_code=problem.status,
        headers=headers,
        mimetype="application/problem+json",
        charset="utf-8",
    )
