"""HTTP routes of function_app, read from azure-functions' metadata, matched as the host does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from azure.functions.decorators.function_app import Function

_PARAMETER = re.compile(r"^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\??)\}$")
_CONSTRAINTS = {"int": r"-?\d+", "guid": r"[0-9a-fA-F-]{36}", "alpha": r"[A-Za-z]+"}


@dataclass(frozen=True)
class HttpRoute:
    function_name: str
    template: str
    # Empty: the function declared no methods, and the host then routes every method to it.
    methods: frozenset[str]
    arg_name: str
    call: Callable[..., Any]
    pattern: re.Pattern[str]
    precedence: tuple[int, ...]

    def allows(self, method: str) -> bool:
        return not self.methods or method in self.methods

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items() if value}


def compile_template(template: str, prefix: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    """A route template ("subscriptions/{id}/licenses/{email}") as a regex and a precedence.

    Literal segments outrank constrained parameters, which outrank plain ones, which outrank
    catch-alls, segment by segment, as ASP.NET Core routing orders them.
    """
    segments = [s for s in f"{prefix}/{template}".split("/") if s]
    parts: list[str] = []
    precedence: list[int] = []
    for segment in segments:
        parameter = _PARAMETER.match(segment)
        if parameter is None:
            parts.append("/" + re.escape(segment))
            precedence.append(0)
            continue
        catch_all, name, constraint, optional = parameter.groups()
        if catch_all:
            parts.append(f"(?:/(?P<{name}>.*))?")
            precedence.append(3)
        else:
            value = _CONSTRAINTS.get(constraint or "", r"[^/]+")
            parts.append(f"(?:/(?P<{name}>{value}))" + ("?" if optional else ""))
            precedence.append(1 if constraint else 2)
    return re.compile("^" + "".join(parts) + "/?$", re.IGNORECASE), tuple(precedence)


def http_routes(functions: Iterable[Function], prefix: str) -> list[HttpRoute]:
    routes = []
    for function in functions:
        trigger = function.get_trigger()
        if trigger is None or trigger.get_binding_name() != "httpTrigger":
            continue
        description = trigger.get_dict_repr()
        template = description.get("route") or function.get_function_name()
        methods = description.get("methods") or ()
        pattern, precedence = compile_template(template, prefix)
        routes.append(
            HttpRoute(
                function_name=function.get_function_name(),
                template=template,
                methods=frozenset(str(getattr(m, "value", m)).upper() for m in methods),
                arg_name=description["name"],
                call=function.get_user_function(),
                pattern=pattern,
                precedence=precedence,
            )
        )
    routes.sort(key=lambda route: route.precedence)
    return routes


@dataclass(frozen=True)
class RouteMatch:
    route: HttpRoute | None
    params: dict[str, str]


def find_route(routes: list[HttpRoute], method: str, path: str) -> RouteMatch:
    """The first route for the path and method, by precedence.

    A path whose routes do not allow the method matches nothing: the host's route table has
    one entry per function and method, so it answers 404 (never 405) as for an unknown path.
    """
    for route in routes:
        if not route.allows(method):
            continue
        params = route.match(path)
        if params is not None:
            return RouteMatch(route, params)
    return RouteMatch(None, {})
