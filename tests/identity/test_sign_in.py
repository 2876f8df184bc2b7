"""Sign-in with Microsoft through the real MSAL, Entra faked at the HTTP level."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from shared.identity.entra import FLOW_LIFETIME
from shared.services import Services
from tests.api_client import ApiClient
from tests.conftest import PORTAL_ORIGIN, Clock
from tests.identity.fake_entra import (
    AUTHORIZE_URL,
    PORTAL_CLIENT_ID,
    TENANT,
    TOKEN_DEFECTS,
    FakeEntra,
)

CALLBACK = f"{PORTAL_ORIGIN}/api/auth/callback"

# The answer comes back by GET (API.md's callback, and a SameSite=Lax cookie reaches it);
# it carries only a single-use, PKCE-bound code, so MSAL's advice to use form_post is noise.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")


def start(client: ApiClient, next_path: str | None = "/subscriptions") -> requests.Response:
    params = {} if next_path is None else {"next": next_path}
    response = client.get("/api/auth/login", params=params)
    assert response.status_code == 302, response.text
    return response


def sign_in(
    api: ApiClient, entra: FakeEntra, next_path: str | None = "/subscriptions", **claims: Any
) -> tuple[ApiClient, requests.Response]:
    """A new browser signs in: login, Microsoft's page, the callback."""
    client = api.fresh()
    answer = entra.authorize(start(client, next_path).headers["Location"], **claims)
    return client, client.get("/api/auth/callback", params=answer)


def test_login_redirects_to_microsoft_with_pkce_state_and_nonce(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    response = start(api)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URL
    params = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert params["client_id"] == PORTAL_CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == CALLBACK
    assert set(params["scope"].split()) == {"openid", "profile", "email"}  # no offline_access
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 16 and len(params["nonce"]) >= 16
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("smm_signin=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/api/auth" in cookie and "Max-Age=600" in cookie
    # The flow itself stays on the server: the browser holds an opaque id only.
    for secret in (params["state"], params["nonce"], params["code_challenge"]):
        assert secret not in cookie


def test_a_user_signs_in_and_sees_themself(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    client, callback = sign_in(api, entra, email="Ann.Lee@Contoso.com")
    assert callback.status_code == 302, callback.text
    assert callback.headers["Location"] == f"{PORTAL_ORIGIN}/subscriptions"
    cookies = callback.headers["Set-Cookie"]
    assert "smm_session=" in cookies and "smm_signin=;" in cookies  # the flow cookie is cleared
    me = client.get("/api/me")
    assert me.status_code == 200, me.text
    assert me.json() == {
        "email": "ann.lee@contoso.com",
        "name": "Ann Example",
        "subscriptions": [],
        "invitations": [],
    }
    # The code was redeemed with the PKCE verifier and the client's secret.
    (redeemed,) = entra.token_requests
    assert redeemed["code_verifier"] and redeemed["redirect_uri"] == CALLBACK


def test_next_defaults_to_the_portal_home(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    _, callback = sign_in(api, entra, next_path=None)
    assert callback.headers["Location"] == f"{PORTAL_ORIGIN}/"


def test_the_identity_is_tenant_and_object_id_not_the_email(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    from shared.identity.resolve import resolve_principal

    client, _ = sign_in(api, entra, email="ann@contoso.com", object_id=TENANT)
    session = client.session.cookies.get("smm_session")
    principal = resolve_principal(entra_services, {}, {"smm_session": session})
    assert principal.user_id == f"{TENANT}:{TENANT}"


def test_the_email_claim_counts_only_when_its_domain_is_verified(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    entra.id_token = lambda claims: entra.key.sign(
        {**claims, "preferred_username": "not an address", "email": "Eve@Contoso.com"}
    )
    _, refused = sign_in(api, entra)
    assert refused.status_code == 401
    entra.id_token = lambda claims: entra.key.sign(
        {
            **claims,
            "preferred_username": "not an address",
            "email": "Eve@Contoso.com",
            "xms_edov": True,
        }
    )
    client, callback = sign_in(api, entra)
    assert callback.status_code == 302
    assert client.get("/api/me").json()["email"] == "eve@contoso.com"


def test_an_answer_is_used_once(api: ApiClient, entra_services: Services, entra: FakeEntra) -> None:
    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    flow_cookie = client.session.cookies.get("smm_signin")
    assert client.get("/api/auth/callback", params=answer).status_code == 302
    replay = api.fresh()
    replay.session.cookies.set("smm_signin", flow_cookie, path="/api/auth")
    again = replay.get("/api/auth/callback", params=answer)
    assert again.status_code == 400
    assert again.json()["code"] == "sign_in_not_started"


def test_concurrent_answers_to_one_sign_in_start_one_session(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    flow_cookie = client.session.cookies.get("smm_signin")

    def callback(_: int) -> int:
        browser = api.fresh()
        browser.session.cookies.set("smm_signin", flow_cookie, path="/api/auth")
        return browser.get("/api/auth/callback", params=answer).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(callback, range(6)))
    assert statuses == [302] + [400] * 5


def test_a_sign_in_expires_after_ten_minutes(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    clock.advance(FLOW_LIFETIME + timedelta(seconds=1))
    response = client.get("/api/auth/callback", params=answer)
    assert response.status_code == 400 and response.json()["code"] == "sign_in_expired"


def test_an_answer_for_another_browsers_sign_in_is_refused(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    victim, attacker = api.fresh(), api.fresh()
    start(victim)
    attackers_answer = entra.authorize(start(attacker).headers["Location"])
    # Login CSRF: the attacker's code and state, delivered to the victim's browser.
    response = victim.get("/api/auth/callback", params=attackers_answer)
    assert response.status_code == 400
    assert response.json()["code"] == "sign_in_state_mismatch"
    assert "smm_session" not in response.headers.get("Set-Cookie", "")


def test_a_callback_without_the_sign_in_cookie_is_refused(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    answer = entra.authorize(start(api.fresh()).headers["Location"])
    response = api.fresh().get("/api/auth/callback", params=answer)
    assert response.status_code == 400 and response.json()["code"] == "sign_in_not_started"


def test_microsofts_error_answer_is_a_401_naming_its_code_only(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    client = api.fresh()
    location = start(client).headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(
        "/api/auth/callback",
        params={
            "error": "access_denied",
            "error_description": "AADSTS65004: User declined to consent. <script>x</script>",
            "state": state,
        },
    )
    assert response.status_code == 401
    document = response.json()
    assert document["code"] == "sign_in_failed"
    assert "access_denied" in document["detail"] and "AADSTS65004" in document["detail"]
    assert "<script>" not in response.text


def test_a_code_microsoft_refuses_is_a_401(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    answer["code"] = "a-code-microsoft-never-issued"
    response = client.get("/api/auth/callback", params=answer)
    assert response.status_code == 401 and response.json()["code"] == "sign_in_failed"


@pytest.mark.parametrize("defect", sorted(TOKEN_DEFECTS))
def test_each_id_token_defect_is_a_401_and_no_session(
    api: ApiClient, entra_services: Services, entra: FakeEntra, defect: str
) -> None:
    entra.id_token = lambda claims: TOKEN_DEFECTS[defect](claims, entra.key, entra.other_key)
    client, callback = sign_in(api, entra)
    assert callback.status_code == 401, callback.text
    assert callback.json()["code"] == "invalid_token"
    assert "smm_session" not in callback.headers.get("Set-Cookie", "")
    assert client.get("/api/me").status_code == 401


def test_an_id_token_with_another_nonce_is_a_401(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    entra.id_token = lambda claims: entra.key.sign({**claims, "nonce": "replayed-nonce"})
    _, callback = sign_in(api, entra)
    assert callback.status_code == 401 and callback.json()["code"] == "invalid_token"


def test_an_id_token_without_an_email_is_a_401(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    entra.id_token = lambda claims: entra.key.sign(
        {name: value for name, value in claims.items() if name != "preferred_username"}
    )
    _, callback = sign_in(api, entra)
    assert callback.status_code == 401 and callback.json()["code"] == "invalid_token"


def test_an_unknown_kid_refreshes_the_keys_once_per_five_minutes(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    assert sign_in(api, entra)[1].status_code == 302
    assert entra.jwks_calls == 1
    entra.id_token = entra.other_key.sign  # a key Entra has not published (yet)
    assert sign_in(api, entra)[1].status_code == 401
    assert entra.jwks_calls == 1  # the keys were fetched less than 5 minutes ago
    clock.advance(timedelta(minutes=5, seconds=1))
    for _ in range(3):
        assert sign_in(api, entra)[1].status_code == 401
    assert entra.jwks_calls == 2  # one refresh for the unknown kid, then the limit holds
    entra.published.append(entra.other_key)
    assert sign_in(api, entra)[1].status_code == 401
    clock.advance(timedelta(minutes=5, seconds=1))
    assert sign_in(api, entra)[1].status_code == 302
    assert entra.jwks_calls == 3


def test_entra_unreachable_is_a_503(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    import responses

    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    entra.mock.replace(responses.POST, entra.token_url, body=ConnectionError("unreachable"))
    response = client.get("/api/auth/callback", params=answer)
    assert response.status_code == 503


def test_a_new_sign_in_ends_the_previous_session_of_the_browser(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    client, _ = sign_in(api, entra)
    old_session = client.session.cookies.get("smm_session")
    answer = entra.authorize(start(client).headers["Location"], email="ann@contoso.com")
    assert client.get("/api/auth/callback", params=answer).status_code == 302
    assert client.session.cookies.get("smm_session") != old_session
    stale = api.fresh()
    stale.session.cookies.set("smm_session", old_session)
    assert stale.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.com",
        "//evil.com/path",
        "https://evil.com",
        "http:/evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "/ /evil.com",
        "javascript:alert(1)",
        "evil.com",
        "subscriptions",
        "/" + "a" * 3000,
    ],
)
def test_next_must_be_a_relative_path(
    api: ApiClient, entra_services: Services, entra: FakeEntra, next_path: str
) -> None:
    response = api.get("/api/auth/login", params={"next": next_path})
    assert response.status_code == 400, response.text
    document = response.json()
    assert document["code"] == "invalid_next"
    assert [error["field"] for error in document["errors"]] == ["next"]
    assert "Location" not in response.headers


@pytest.mark.parametrize("next_path", ["/", "/subscriptions/abc?tab=licenses#top", "/a/%2F%2Fb"])
def test_relative_paths_are_where_sign_in_returns(
    api: ApiClient, entra_services: Services, entra: FakeEntra, next_path: str
) -> None:
    _, callback = sign_in(api, entra, next_path=next_path)
    assert callback.headers["Location"] == PORTAL_ORIGIN + next_path


def test_without_entra_settings_login_points_to_local_sign_in(api: ApiClient) -> None:
    response = api.get("/api/auth/login")
    assert response.status_code == 503
    document = response.json()
    assert document["code"] == "sign_in_not_configured"
    assert "/api/dev/login" in document["detail"]


@pytest.mark.parametrize("status", [400, 500])
def test_entra_metadata_unavailable_is_a_503_and_retried_later(
    api: ApiClient, entra_services: Services, entra: FakeEntra, status: int
) -> None:
    import responses

    from tests.identity.fake_entra import OPENID_CONFIGURATION_URL

    working = entra.mock.replace(responses.GET, OPENID_CONFIGURATION_URL, status=status)
    response = api.get("/api/auth/login")
    assert response.status_code == 503 and response.json()["code"] == "upstream_unavailable"
    entra.mock.remove(working)
    entra.mock.add(
        responses.GET,
        OPENID_CONFIGURATION_URL,
        json={"authorization_endpoint": AUTHORIZE_URL, "token_endpoint": entra.token_url},
    )
    assert start(api).status_code == 302


def test_the_sign_in_routes_are_in_the_openapi_document(api: ApiClient, services: Services) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]
    assert "302" in paths["/api/auth/login"]["get"]["responses"]
    assert "302" in paths["/api/auth/callback"]["get"]["responses"]
    assert "204" in paths["/api/auth/logout"]["post"]["responses"]
    assert "200" in paths["/api/me"]["get"]["responses"]
    assert "302" in paths["/api/admin-consent"]["get"]["responses"]
    assert "200" in paths["/api/dev/token"]["post"]["responses"]


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_token_endpoint_is_a_503(
    api: ApiClient, entra_services: Services, entra: FakeEntra, status: int
) -> None:
    import responses

    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    entra.mock.replace(responses.POST, entra.token_url, status=status, body="busy")
    assert client.get("/api/auth/callback", params=answer).status_code == 503


def test_a_token_answer_that_is_not_json_is_a_401(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    import responses

    client = api.fresh()
    answer = entra.authorize(start(client).headers["Location"])
    entra.mock.replace(responses.POST, entra.token_url, status=200, body="<html>")
    response = client.get("/api/auth/callback", params=answer)
    assert response.status_code == 401 and response.json()["code"] == "sign_in_failed"
