"""The OpenAPI 3.1 document, generated from the same pydantic models that validate requests.

Parameters take their schemas from their model's own JSON schema, property by property, so
every bound, format, enum and pattern the model checks is in the document; problem responses
name the `code`s they can carry (`x-problem-codes`, and an `enum` of `code` in their schema).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

# A route template's parameter: {name}, {name:int}, {name?}, {*name}.
_PATH_PARAMETER = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\??\}")
_CONSTRAINT_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "guid": {"type": "string", "format": "uuid"},
    "alpha": {"type": "string", "pattern": "^[A-Za-z]+$"},
}
REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_REF = REF_TEMPLATE.format(model="Problem")
PROBLEM_JSON = "application/problem+json"

SESSION_COOKIE = "smm_session"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": (
            "The portal's session, set by signing in (`GET /api/auth/callback`, or "
            "`POST /api/dev/login` in local mode). HttpOnly, SameSite=Lax; on an https origin "
            "the cookie is named `__Host-smm_session` and is Secure. A request that changes "
            "state (POST, PUT, PATCH, DELETE) with this cookie must carry an `Origin` header "
            "equal to the portal's origin, or it is refused with 403 `origin_mismatch`."
        ),
    },
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "smk_…",
        "description": (
            "`Authorization: Bearer smk_…`: an API key of one subscription, created by its "
            "owner, with the permissions it was created with. A revoked or unknown key is 401."
        ),
    },
    "addinToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "`Authorization: Bearer <JWT>`: the add-in's Microsoft Entra ID token (Office SSO "
            "or nested app auth), audience the add-in's app; 401 `invalid_token` otherwise."
        ),
    },
    "stripeSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Stripe-Signature",
        "description": "Stripe's signature of the webhook delivery's body.",
    },
}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    summary: str
    security: tuple[str, ...]
    body: type[BaseModel] | None
    body_media_type: str | None
    query: type[BaseModel] | None
    response: Any
    status: int
    response_type: str
    # Each status a problem can answer with the codes it carries; None: codes not enumerated.
    problems: Mapping[int, tuple[str, ...] | None] = field(default_factory=dict)
    path_model: type[BaseModel] | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None


def build_document(operations: Iterable[Operation], *, title: str, version: str) -> dict[str, Any]:
    operations = sorted(operations, key=lambda op: (op.path, op.method))
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    parameter_models: set[type[BaseModel]] = set()
    for op in operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if _is_model(op.response):
            models.append((op.response, "serialization"))
        for model in (op.query, op.path_model):
            if model is not None:
                models.append((model, "validation"))
                parameter_models.add(model)
    keyed, definitions = models_json_schema(models, ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))

    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item = paths.setdefault(openapi_path(op.path), {})
        item[op.method.lower()] = _operation(op, keyed, schemas)
    # A model of parameters is spelled out in the parameters; keep it only if a body uses it.
    used = {keyed[key]["$ref"] for key in keyed if key[0] not in parameter_models}
    for key, reference in keyed.items():
        if key[0] in parameter_models and reference["$ref"] not in used:
            schemas.pop(_schema_name(reference), None)
    schemas["Problem"] = _PROBLEM_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def openapi_path(route: str) -> str:
    """A Functions route template as an OpenAPI path template: constraints, '?' and '*' are
    not part of OpenAPI's syntax ("/items/{id:int}" becomes "/items/{id}")."""
    return _PATH_PARAMETER.sub(lambda found: "{" + found.group(1) + "}", route)


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _schema_name(reference: Mapping[str, str]) -> str:
    return reference["$ref"].rsplit("/", 1)[1]


def _properties(
    model: type[BaseModel], keyed: Mapping[Any, Any], schemas: Mapping[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """A model's properties (by alias) and its required ones, from its own JSON schema."""
    schema = schemas[_schema_name(keyed[(model, "validation")])]
    return dict(schema.get("properties", {})), set(schema.get("required", ()))


def _parameter_schema(schema: dict[str, Any], required: bool) -> dict[str, Any]:
    """A property's schema as a parameter's: a parameter is absent rather than null."""
    schema = {key: value for key, value in schema.items() if key != "title"}
    if not required:
        branches = schema.get("anyOf")
        if isinstance(branches, list):
            kept = [branch for branch in branches if branch != {"type": "null"}]
            if len(kept) == 1:
                del schema["anyOf"]
                schema = {**kept[0], **schema}
            else:
                schema["anyOf"] = kept
        if schema.get("default") is None:
            schema.pop("default", None)
    return schema


def _parameters(
    op: Operation, keyed: Mapping[Any, Any], schemas: Mapping[str, Any]
) -> list[dict[str, Any]]:
    declared: dict[str, Any] = {}
    if op.path_model is not None:
        declared, _ = _properties(op.path_model, keyed, schemas)
    parameters = []
    for name, constraint in _PATH_PARAMETER.findall(op.path):
        schema = declared.get(name) or dict(_CONSTRAINT_SCHEMAS.get(constraint, {"type": "string"}))
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _parameter_schema(schema, required=True),
            }
        )
    if op.query is not None:
        properties, required = _properties(op.query, keyed, schemas)
        for name, schema in properties.items():
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _parameter_schema(schema, required=name in required),
            }
            if name not in required:
                # The Functions host drops a query parameter with an empty value: `?label=` is
                # the same as no `label` at all.
                parameter["schema"] = {"anyOf": [parameter["schema"], {"const": ""}]}
            if "description" in schema:
                parameter["description"] = schema["description"]
            parameters.append(parameter)
    return parameters


def _operation(
    op: Operation, keyed: Mapping[Any, Any], schemas: Mapping[str, Any]
) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    if op.description:
        document["description"] = op.description
    parameters = _parameters(op, keyed, schemas)
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": keyed[(op.body, "validation")]}},
        }
    elif op.body_media_type:
        document["requestBody"] = {
            "required": True,
            "content": {op.body_media_type: {"schema": {"type": "string"}}},
        }
    document["responses"] = {str(op.status): _success(op, keyed)}
    for status, codes in sorted(op.problems.items()):
        document["responses"][str(status)] = problem_response(status, codes)
    # Alternatives: any one of the schemes will do.
    document["security"] = [{scheme: []} for scheme in op.security]
    return document


def problem_response(status: int, codes: Sequence[str] | None) -> dict[str, Any]:
    """The response of a problem status: its schema is Problem, its `code` one of `codes`."""
    phrase = HTTPStatus(status).phrase
    schema: dict[str, Any] = {"$ref": PROBLEM_REF}
    response: dict[str, Any] = {"description": phrase}
    if codes is not None:
        ordered = sorted(set(codes))
        schema = {"allOf": [{"$ref": PROBLEM_REF}], "properties": {"code": {"enum": ordered}}}
        response["description"] = f"{phrase}: " + ", ".join(f"`{code}`" for code in ordered)
        response["x-problem-codes"] = ordered
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before trying again",
                "required": False,
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    response["content"] = {PROBLEM_JSON: {"schema": schema}}
    return response


def _success(op: Operation, keyed: Mapping[Any, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    if op.response_headers:
        response["headers"] = {
            name: {"description": meaning, "required": True, "schema": {"type": "string"}}
            for name, meaning in op.response_headers.items()
        }
    if op.response is None:
        return response
    if _is_model(op.response):
        schema = keyed[(op.response, "serialization")]
    elif op.response is str:
        schema = {"type": "string"}
    elif op.response is dict:
        schema = {"type": "object"}
    else:
        schema = {}
    response["content"] = {op.response_type: {"schema": schema}}
    return response


_PROBLEM_SCHEMA = {
    "type": "object",
    "description": (
        "RFC 9457 problem document. `code` is stable: clients branch on it. Some problems add "
        "members, such as `available` and `requested` of `not_enough_seats`."
    ),
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "errors": {
            "type": "array",
            "description": "The fields that are not valid, by name (`emails[3]`, `body`).",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}
