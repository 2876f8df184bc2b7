"""Portal sessions: expiry, sign-out on the server, and the Origin check of API.md."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.identity.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from shared.services import Services
from shared.storage.clients import SESSIONS_TABLE
from shared.tokens import token_hash
from tests.api_client import ApiClient
from tests.conftest import PORTAL_ORIGIN, Clock


def test_a_session_ends_after_eight_idle_hours(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    user = api.login("ann@contoso.com")
    clock.advance(IDLE_TIMEOUT - timedelta(minutes=1))
    assert user.get("/api/me").status_code == 200  # activity restarts the idle clock
    clock.advance(IDLE_TIMEOUT - timedelta(minutes=1))
    assert user.get("/api/me").status_code == 200
    clock.advance(IDLE_TIMEOUT + timedelta(minutes=1))
    response = user.get("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_session_ends_after_seven_days_however_active(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    user = api.login("ann@contoso.com")
    elapsed = timedelta()
    while elapsed + timedelta(hours=4) < ABSOLUTE_TIMEOUT:
        clock.advance(timedelta(hours=4))
        elapsed += timedelta(hours=4)
        assert user.get("/api/me").status_code == 200, elapsed
    clock.advance(ABSOLUTE_TIMEOUT - elapsed + timedelta(minutes=1))
    assert user.get("/api/me").status_code == 401


def test_only_the_hash_of_the_session_id_is_stored(api: ApiClient, services: Services) -> None:
    user = api.login("ann@contoso.com")
    session_id = user.session.cookies.get("smm_session")
    rows = list(services.storage.table(SESSIONS_TABLE).list_entities())
    assert [row["PartitionKey"] for row in rows] == [token_hash(session_id)]
    assert all(session_id not in str(value) for row in rows for value in row.values())


def test_sign_out_ends_the_session_on_the_server(api: ApiClient, services: Services) -> None:
    user = api.login("ann@contoso.com")
    session_id = user.session.cookies.get("smm_session")
    response = user.post("/api/auth/logout")
    assert response.status_code == 204
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("smm_session=;") and "Max-Age=0" in cookie
    # The old cookie, replayed by another browser, no longer works.
    replay = api.fresh()
    replay.session.cookies.set("smm_session", session_id)
    assert replay.get("/api/me").status_code == 401
    assert not list(services.storage.table(SESSIONS_TABLE).list_entities())


@pytest.mark.parametrize("cookie", [None, "smm_session=" + "x" * 43])
def test_sign_out_without_a_live_session_still_clears_the_cookie(
    api: ApiClient, services: Services, cookie: str | None
) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    response = api.fresh().post("/api/auth/logout", headers=headers)
    assert response.status_code == 204
    assert response.headers["Set-Cookie"].startswith("smm_session=;")
    assert "Max-Age=0" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://127.0.0.1:7072", "null"])
def test_a_state_changing_request_with_the_cookie_needs_the_portals_origin(
    api: ApiClient, services: Services, origin: str | None
) -> None:
    user = api.login("ann@contoso.com")
    headers = {} if origin is None else {"Origin": origin}
    # Straight through requests, so ApiClient does not add the portal's Origin.
    response = user.session.post(f"{user.base_url}/api/auth/logout", headers=headers, timeout=30)
    assert response.status_code == 403
    assert response.json()["code"] == "origin_mismatch"
    assert user.get("/api/me").status_code == 200  # the session was not ended


def test_the_portals_origin_passes_the_check(api: ApiClient, services: Services) -> None:
    user = api.login("ann@contoso.com")
    response = user.session.post(
        f"{user.base_url}/api/auth/logout", headers={"Origin": PORTAL_ORIGIN}, timeout=30
    )
    assert response.status_code == 204


def test_reads_with_the_cookie_need_no_origin(api: ApiClient, services: Services) -> None:
    user = api.login("ann@contoso.com")
    assert user.session.get(f"{user.base_url}/api/me", timeout=30).status_code == 200


def test_me_shows_the_local_user(api: ApiClient, services: Services) -> None:
    user = api.login(" Ann@Contoso.com ", name="Ann")
    assert user.get("/api/me").json() == {
        "email": "ann@contoso.com",
        "name": "Ann",
        "subscriptions": [],
        "invitations": [],
    }


def test_me_needs_a_session(api: ApiClient, services: Services) -> None:
    response = api.fresh().get("/api/me")
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_an_ended_session_does_not_block_signing_in_again(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    user = api.login("ann@contoso.com")
    clock.advance(IDLE_TIMEOUT + timedelta(minutes=1))
    # Public routes ignore a cookie the browser still sends for an ended session.
    assert user.post("/api/dev/login", json={"email": "ann@contoso.com"}).status_code == 204
    assert user.get("/api/me").status_code == 200
