"""Collects the endpoint declarations of the registered functions into the OpenAPI document."""

from __future__ import annotations

import functools
import importlib
from typing import Any

from functions.http import Auth, BodyKind, EndpointSpec
from shared.openapi import Operation, build_document

_SECURITY = {
    Auth.PUBLIC: (),
    Auth.USER: ("session",),
    Auth.MANAGER: ("session", "apiKey"),
    Auth.ADDIN: ("addinToken",),
    Auth.WEBHOOK: ("stripeSignature",),
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
            operations.append(
                Operation(
                    path=f"/{description['route']}",
                    method=method_name,
                    operation_id=function.get_function_name(),
                    summary=spec.summary,
                    security=_SECURITY[spec.auth],
                    body=spec.body,
                    body_media_type="text/csv" if spec.body_kind is BodyKind.CSV else None,
                    query=spec.query,
                    response=spec.response,
                    status=spec.status,
                    response_type=spec.response_type,
                    errors=spec.errors,
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
