"""Malformed credentials and query strings are 4xx problem documents, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.services import Services
from tests.api_client import ApiClient
from tests.identity.fake_entra import FakeEntra

# Sign-in answers by GET (see test_sign_in); MSAL's form_post advice does not apply.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")

HTTP_EXAMPLES = settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What an HTTP client can put in a header value: no line breaks, no leading white space.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=200,
).filter(lambda value: not value[:1].isspace())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


jwt_shaped = st.builds(
    lambda header, payload, signature: f"{b64(header)}.{b64(payload)}.{b64(signature)}",
    st.one_of(
        st.binary(max_size=40),
        st.dictionaries(
            st.sampled_from(["alg", "kid", "typ"]),
            st.sampled_from(["RS256", "none", "HS256", "x", ""]) | st.integers(),
        ).map(lambda header: json.dumps(header).encode()),
    ),
    st.binary(max_size=60),
    st.binary(max_size=60),
)
authorizations = st.one_of(
    header_text,
    header_text.map(lambda value: "Bearer " + value),
    jwt_shaped.map(lambda token: "Bearer " + token),
    st.sampled_from(["Bearer smk_", "Bearer smk_" + "a" * 43, "bearer", "Bearer", "Basic Zm9v"]),
)


def assert_problem(response: requests.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["status"] == response.status_code


@HTTP_EXAMPLES
@given(authorization=authorizations)
def test_garbage_authorization_headers_are_401(
    api: ApiClient, entra_services: Services, entra: FakeEntra, authorization: str
) -> None:
    response = api.get("/api/me", headers={"Authorization": authorization})
    assert_problem(response, {401})


@HTTP_EXAMPLES
@given(
    session=header_text | st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=40)
)
def test_garbage_session_cookies_are_401(api: ApiClient, services: Services, session: str) -> None:
    response = api.get("/api/me", headers={"Cookie": f"smm_session={session}"})
    assert_problem(response, {401})
    logout = api.post("/api/auth/logout", headers={"Cookie": f"smm_session={session}"})
    assert logout.status_code == 204  # signing out is idempotent


@HTTP_EXAMPLES
@given(cookie=header_text)
def test_garbage_cookie_headers_are_401(api: ApiClient, services: Services, cookie: str) -> None:
    assert_problem(api.get("/api/me", headers={"Cookie": cookie}), {401})


@HTTP_EXAMPLES
@given(next_path=st.text(max_size=100))
def test_any_next_is_a_redirect_or_a_400(
    api: ApiClient, entra_services: Services, entra: FakeEntra, next_path: str
) -> None:
    response = api.get("/api/auth/login", params={"next": next_path})
    assert_problem(response, {302, 400})
    if response.status_code == 302:
        assert response.headers["Location"].startswith("https://login.microsoftonline.com/")


@HTTP_EXAMPLES
@given(
    params=st.dictionaries(
        st.sampled_from(["code", "state", "error", "error_description", "session_state", "x"]),
        st.text(max_size=50),
    ),
    flow_cookie=st.none() | header_text,
)
def test_any_callback_without_a_matching_sign_in_is_a_4xx(
    api: ApiClient,
    entra_services: Services,
    entra: FakeEntra,
    params: dict[str, str],
    flow_cookie: str | None,
) -> None:
    headers = {} if flow_cookie is None else {"Cookie": f"smm_signin={flow_cookie}"}
    response = api.get("/api/auth/callback", params=params, headers=headers)
    assert_problem(response, {400, 422})


def test_an_oversized_token_is_401(api: ApiClient, entra_services: Services) -> None:
    token = "a" * 20_000 + ".b.c"
    response = api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, {401})
