"""What the outside review reproduced, at the HTTP edge: cookies, origins, nesting, free text,
response headers and the cost of starting a sign-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.identity.entra import SIGN_INS_PER_CLIENT_A_MINUTE, begin_sign_in, client_address
from shared.identity.local_users import local_user
from shared.identity.principal import PrincipalKind
from shared.identity.resolve import resolve_principal
from shared.identity.sessions import (
    HOST_SESSION_COOKIE,
    parse_cookies,
    session_cookie,
    start_session,
)
from shared.services import Services, use_services
from shared.settings import SettingsError, load_settings
from shared.subscriptions.limits import TooManyRequests
from tests.api_client import ApiClient
from tests.azurite import Azurite
from tests.conftest import Clock, make_settings
from tests.factories import make_subscription
from tests.identity.fake_entra import FakeEntra
from tests.production_settings import PRODUCTION

pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")

OWNER = "owner@contoso.com"


# --- item 6: one malformed cookie must not sign the user out -----------------------------


@pytest.mark.parametrize(
    "neighbour",
    ['pref={"a":1}', "theme=dark mode", "x", "=orphan", 'q="unterminated', "a=b=c", "ü=ö"],
)
def test_a_malformed_neighbour_cookie_leaves_the_session_working(
    api: ApiClient, services: Services, neighbour: str
) -> None:
    session = api.login(OWNER).session.cookies.get("smm_session")
    for header in (f"{neighbour}; smm_session={session}", f"smm_session={session}; {neighbour}"):
        response = api.fresh().get("/api/me", headers={"Cookie": header})
        assert response.status_code == 200, (header, response.text)


def test_a_session_cookie_sent_twice_is_refused(api: ApiClient, services: Services) -> None:
    mine = api.login(OWNER).session.cookies.get("smm_session")
    planted = api.login("mallory@contoso.com").session.cookies.get("smm_session")
    for header in (
        f"smm_session={mine}; smm_session={planted}",
        f"smm_session={planted}; other=1; smm_session={mine}",
        f"smm_session={mine}; smm_session={mine}",
    ):
        response = api.fresh().get("/api/me", headers={"Cookie": header})
        assert response.status_code == 401, response.text
        assert "twice" in response.json()["detail"]


def test_the_cookie_parser_reads_each_cookie_on_its_own() -> None:
    cookies = parse_cookies('a=1; pref={"x":1}; broken; b="quoted"; a=2; =x; c=')
    assert dict(cookies) == {"a": "1", "pref": '{"x":1}', "b": "quoted", "c": ""}
    assert cookies.repeated == frozenset({"a"})


# --- item 5: Secure off only on loopback http; __Host- on https; refused http origins ----


@pytest.mark.parametrize(
    ("origin", "secure"),
    [
        ("http://127.0.0.1:7071", False),
        ("http://localhost:7071", False),
        ("http://[::1]:7071", False),
        ("http://licenses.contoso.com", True),
        ("http://192.168.1.20:7071", True),
        ("http://localhost.contoso.com", True),
        ("https://licenses.contoso.com", True),
    ],
)
def test_cookies_are_secure_except_on_plain_http_loopback(
    api: ApiClient, azurite: Azurite, services: Services, origin: str, secure: bool
) -> None:
    settings = make_settings(azurite, PORTAL_ORIGIN=origin)
    use_services(Services(settings=settings, storage=services.storage, clock=services.clock))
    response = api.fresh().post("/api/dev/login", json={"email": OWNER}, headers={"Origin": origin})
    assert response.status_code == 204, response.text
    cookie = response.headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure
    name = cookie.partition("=")[0]
    assert name == (HOST_SESSION_COOKIE if secure else "smm_session")
    if secure:
        # __Host-: Secure, Path=/ and no Domain, or the browser refuses it.
        assert "Path=/;" in cookie and "Domain" not in cookie


def test_on_https_only_the_host_prefixed_cookie_signs_in(
    azurite: Azurite, services: Services
) -> None:
    settings = make_settings(azurite, PORTAL_ORIGIN="https://licenses.contoso.com")
    https = Services(settings=settings, storage=services.storage, clock=services.clock)
    session_id = start_session(https, local_user(OWNER))
    assert session_cookie(session_id, secure=True).startswith(
        f"{HOST_SESSION_COOKIE}={session_id};"
    )
    signed_in = resolve_principal(https, {}, parse_cookies(f"{HOST_SESSION_COOKIE}={session_id}"))
    assert signed_in.kind is PrincipalKind.USER
    # A plain smm_session cookie (settable by a sibling subdomain or over http) is not read.
    plain = resolve_principal(https, {}, parse_cookies(f"smm_session={session_id}"))
    assert plain.kind is PrincipalKind.ANONYMOUS


def production(origin: str) -> dict[str, Any]:
    """Settings as in Azure (the tests' environment says local mode and local storage)."""
    return {**PRODUCTION, "DEV_MODE": False, "AzureWebJobsStorage": None, "PORTAL_ORIGIN": origin}


@pytest.mark.parametrize(
    "origin", ["http://licenses.contoso.com", "http://10.0.0.4:7071", "http://localhost.evil.com"]
)
def test_a_plain_http_portal_origin_is_refused_outside_local_mode(origin: str) -> None:
    with pytest.raises((SettingsError, ValueError), match="PORTAL_ORIGIN must be https"):
        load_settings(**production(origin))


@pytest.mark.parametrize(
    "origin", ["https://licenses.contoso.com", "http://127.0.0.1:7071", "http://localhost:8080"]
)
def test_https_and_loopback_portal_origins_start_outside_local_mode(origin: str) -> None:
    settings = load_settings(**production(origin))
    assert settings.portal_origin == origin


# --- item 3: deeply nested JSON is a 400 on every route that reads JSON ------------------


def json_routes(function_app: Any) -> list[tuple[str, str]]:
    """(method, route) of every HTTP function whose body is JSON."""
    from functions.openapi import _registered_functions

    routes = []
    for function in _registered_functions(function_app):
        user_function = function.get_user_function()
        spec = getattr(user_function, "endpoint_spec", None)
        if spec is None or spec.body_kind.value != "json":
            continue
        trigger = function.get_trigger()
        for method in trigger.methods or []:
            routes.append((str(getattr(method, "value", method)).upper(), trigger.route))
    return sorted(routes)


def test_deeply_nested_json_is_a_400_on_every_json_route(
    api: ApiClient, services: Services, function_app: Any
) -> None:
    owner = api.login(OWNER)
    subscription = make_subscription(services, OWNER)
    routes = json_routes(function_app)
    assert len(routes) >= 10
    nested = b"[" * 100_000 + b"]" * 100_000  # under the 1 MiB limit
    for method, route in routes:
        path = "/" + route.format(
            subscription_id=subscription.id,
            email="ann@contoso.com",
            admin_id="a" * 20,
            key_id="k" * 20,
            token="t" * 43,
            session_id="s" * 20,
        )
        response = owner.request(
            method, path, data=nested, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (method, route, response.text)
        assert response.json()["code"] == "invalid_json"


# --- nosniff on every response -----------------------------------------------------------


def test_every_api_response_says_nosniff(api: ApiClient, services: Services) -> None:
    owner = api.login(OWNER)
    subscription = make_subscription(services, OWNER)
    responses = [
        api.get("/api/health"),
        api.get("/api/pricing"),
        owner.get("/api/me"),
        owner.get(f"/api/subscriptions/{subscription.id}/licenses.csv"),
        api.get("/api/me"),  # 401 problem
        owner.post(f"/api/subscriptions/{subscription.id}/licenses", json={"emails": []}),  # 422
        owner.post("/api/auth/logout"),  # 204, no body
    ]
    for response in responses:
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.url


# --- item 4: free text refuses control and bidi characters everywhere it enters ----------


BAD_TEXT = ["n\u0000ul", "a\r\nb", "esc\x1b[31m", "\u202egnp.exe", "a\u2067b", "c1\x9bx"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_names_refuse_control_and_bidi_characters(
    api: ApiClient, services: Services, text: str
) -> None:
    owner = api.login(OWNER)
    subscription = make_subscription(services, OWNER)
    requests_made = {
        "checkout": owner.post("/api/checkout", json={"quantity": 1, "name": text}),
        "rename": owner.patch(f"/api/subscriptions/{subscription.id}", json={"name": text}),
        "API key": owner.post(
            f"/api/subscriptions/{subscription.id}/api-keys",
            json={"name": text, "permissions": ["view"]},
        ),
        "dev login": api.fresh().post("/api/dev/login", json={"email": OWNER, "name": text}),
    }
    for what, response in requests_made.items():
        assert response.status_code == 422, (what, response.text)
        assert response.json()["errors"][0]["field"] == "name", what


def test_names_are_stored_in_one_normal_form(api: ApiClient, services: Services) -> None:
    owner = api.login(OWNER)
    subscription = make_subscription(services, OWNER)
    renamed = owner.patch(f"/api/subscriptions/{subscription.id}", json={"name": " Cafe\u0301 "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Caf\u00e9"


# --- GET /api/auth/login is bounded per client address -----------------------------------


def test_sign_ins_started_from_one_address_are_bounded(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    for _ in range(SIGN_INS_PER_CLIENT_A_MINUTE):
        assert api.fresh().get("/api/auth/login").status_code == 302
    refused = api.fresh().get("/api/auth/login")
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Another address is counted on its own; a new minute starts afresh.
    assert begin_sign_in(entra_services, None, "198.51.100.8").authorize_url
    with pytest.raises(TooManyRequests):
        for _ in range(SIGN_INS_PER_CLIENT_A_MINUTE + 1):
            begin_sign_in(entra_services, None, "198.51.100.8")
    clock.advance(timedelta(minutes=1))
    assert api.fresh().get("/api/auth/login").status_code == 302


@pytest.mark.parametrize(
    ("header", "address"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("203.0.113.5:51234", "203.0.113.5"),
        ("10.0.0.1, 203.0.113.5:443", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("", "unknown"),
    ],
)
def test_the_client_address_is_the_front_ends_entry(header: str, address: str) -> None:
    assert client_address({"x-forwarded-for": header} if header else {}) == address
