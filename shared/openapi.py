"""The OpenAPI 3.1 document, generated from the same pydantic models that validate requests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

# A route template's parameter: {name}, {name:int}, {name?}, {*name}.
_PATH_PARAMETER = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\??\}")
_CONSTRAINT_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "guid": {"type": "string", "format": "uuid"},
    "alpha": {"type": "string", "pattern": "^[A-Za-z]+$"},
}
REF_TEMPLATE = "#/components/schemas/{model}"


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
    errors: tuple[int, ...]


SECURITY_SCHEMES = {
    "session": {"type": "apiKey", "in": "cookie", "name": "smm_session"},
    "apiKey": {"type": "http", "scheme": "bearer", "description": "smk_… API key"},
    "addinToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "stripeSignature": {"type": "apiKey", "in": "header", "name": "Stripe-Signature"},
}


def build_document(operations: Iterable[Operation], *, title: str, version: str) -> dict[str, Any]:
    operations = sorted(operations, key=lambda op: (op.path, op.method))
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for op in operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if isinstance(op.response, type) and issubclass(op.response, BaseModel):
            models.append((op.response, "serialization"))
    keyed, definitions = models_json_schema(models, ref_template=REF_TEMPLATE)

    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item = paths.setdefault(openapi_path(op.path), {})
        item[op.method.lower()] = _operation(op, keyed)
    schemas = dict(definitions.get("$defs", {}))
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


def _operation(op: Operation, keyed: dict[Any, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_CONSTRAINT_SCHEMAS.get(constraint, {"type": "string"})),
        }
        for name, constraint in _PATH_PARAMETER.findall(op.path)
    ]
    if op.query is not None:
        for name, field in op.query.model_fields.items():
            schema = TypeAdapter(field.annotation or str).json_schema(ref_template=REF_TEMPLATE)
            if field.description:
                schema["description"] = field.description
            parameters.append(
                {
                    "name": field.alias or name,
                    "in": "query",
                    "required": field.is_required(),
                    "schema": schema,
                }
            )
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
    statuses = set(op.errors)
    if op.body is not None or op.body_media_type:
        statuses |= {400, 413}  # a body that does not parse; a body over 1 MiB
    if op.body is not None or op.query is not None:
        statuses.add(422)
    for status in sorted(statuses):
        document["responses"][str(status)] = {
            "description": "problem",
            "content": {
                "application/problem+json": {
                    "schema": {"$ref": REF_TEMPLATE.format(model="Problem")}
                }
            },
        }
    if op.security:
        document["security"] = [{scheme: []} for scheme in op.security]
    return document


def _success(op: Operation, keyed: dict[Any, Any]) -> dict[str, Any]:
    if op.response is None:
        return {"description": "done"}
    if isinstance(op.response, type) and issubclass(op.response, BaseModel):
        schema = keyed[(op.response, "serialization")]
    else:
        schema = {"type": "string"} if op.response is str else {}
    return {"description": "success", "content": {op.response_type: {"schema": schema}}}


_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem document",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "required": ["type", "title", "status", "code"],
}
