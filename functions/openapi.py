"""Collects the endpoint declarations of the registered functions into the OpenAPI document.

The problems a route can answer are derived from its declaration wherever the code that raises
them is functions/http.py itself (authentication, the Origin check, parsing and validation),
and added to what the handler declares it raises (`errors=`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from functions.http import STATE_CHANGING, Auth, BodyKind, EndpointSpec
from shared.openapi import Operation, build_document

_SECURITY = {
    Auth.PUBLIC: (),
    Auth.USER: ("session",),
    Auth.MANAGER: ("session", "apiKey"),
    Auth.ADDIN: ("addinToken",),
    Auth.WEBHOOK: ("stripeSignature",),
}
# Routes that name a subscription look it up for the caller: unknown, or not theirs, is 404.
SUBSCRIPTION_PARAMETER = "{subscription_id}"

Problems = dict[int, tuple[str, ...] | None]


def derived_problems(spec: EndpointSpec, method: str, route: str) -> Problems:
    """Every problem a route can answer: what its declaration implies, plus its `errors`."""
    problems: dict[int, set[str] | None] = {}

    def add(status: int, *codes: str) -> None:
        known = problems.setdefault(status, set())
        if known is not None:
            known.update(codes)

    if spec.auth is not Auth.WEBHOOK:
        # A credential that is sent is checked on every route, open ones included: a wrong
        # Authorization header is a 401 rather than a silent fall-back to anonymous.
        add(401, "unauthenticated", "invalid_token")
        # Storage answers every resolution of a credential; its outage is a 503.
        add(503, "storage_unavailable")
        if method in STATE_CHANGING:
            add(403, "origin_mismatch")
    else:
        add(503, "storage_unavailable")
    if spec.auth in (Auth.USER, Auth.MANAGER, Auth.ADDIN):
        # Another kind of credential than the route takes (an API key on a portal-only route).
        add(403, "forbidden")
    if SUBSCRIPTION_PARAMETER in route:
        add(404, "not_found")
    if spec.body_kind is BodyKind.JSON:
        add(400, "invalid_json")
        add(413, "payload_too_large")
        add(415, "unsupported_media_type")
        add(422, "validation_error")
    elif spec.body_kind is BodyKind.CSV:
        add(400, "invalid_encoding")
        add(413, "payload_too_large")
        add(422, "validation_error")
    if spec.query is not None or spec.path is not None:
        add(422, "validation_error")
    declared: Mapping[int, Sequence[str]] | Sequence[int] = spec.errors
    if isinstance(declared, Mapping):
        for status, codes in declared.items():
            add(status, *codes)
    else:
        for status in declared:
            # A bare status: which codes it carries is not declared, so none are promised.
            problems[status] = None
    return {
        status: None if codes is None else tuple(sorted(codes))
        for status, codes in sorted(problems.items())
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    # Imported here: function_app composes this module's blueprint.
    app = importlib.import_module("function_app").app
    operations = []
    for function in _registered_functions(app):
        spec: EndpointSpec | None = getattr(function.get_user_function(), "endpoint_spec", None)
        trigger = function.get_trigger()
        if spec is None or trigger is None:
            continue
        description = trigger.get_dict_repr()
        for method in description.get("methods") or ["GET"]:
            method_name = str(getattr(method, "value", method)).upper()
            route = f"/{description['route']}"
            operations.append(
                Operation(
                    path=route,
                    method=method_name,
                    operation_id=function.get_function_name(),
                    summary=spec.summary,
                    description=(function.get_user_function().__doc__ or "").strip() or None,
                    security=_SECURITY[spec.auth],
                    body=spec.body,
                    body_media_type="text/csv" if spec.body_kind is BodyKind.CSV else None,
                    query=spec.query,
                    path_model=spec.path,
                    response=spec.response,
                    status=spec.status,
                    response_type=spec.response_type,
                    response_headers=spec.headers,
                    problems=derived_problems(spec, method_name, route),
                )
            )
    return build_document(operations, title="SecureMailMerge licensing API", version="1.0.0")


def _registered_functions(app: Any) -> list[Any]:
    # get_functions() refuses a second call (its name-uniqueness check remembers the first),
    # and the host has made the first. The functions it builds are the same objects each time.
    remembered = app.functions_bindings
    app.functions_bindings = None
    try:
        return list(app.get_functions())
    finally:
        app.functions_bindings = remembered
