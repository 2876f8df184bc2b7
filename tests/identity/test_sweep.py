"""The hourly sweep deletes ended sessions and abandoned sign-ins, and nothing live."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.identity.sessions import IDLE_TIMEOUT
from shared.identity.sweep import sweep_expired
from shared.services import Services
from shared.storage.clients import SESSIONS_TABLE
from tests.api_client import ApiClient
from tests.conftest import Clock
from tests.identity.fake_entra import FakeEntra

pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")


def rows(services: Services) -> list[str]:
    return sorted(row["RowKey"] for row in services.storage.table(SESSIONS_TABLE).list_entities())


def test_ended_sessions_and_abandoned_sign_ins_are_deleted(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    idle = api.login("idle@contoso.com")
    active = api.login("active@contoso.com")
    assert api.fresh().get("/api/auth/login").status_code == 302  # never finished
    assert rows(entra_services) == ["session", "session", "signin", "signinrate"]
    assert sweep_expired(entra_services) == 0

    clock.advance(IDLE_TIMEOUT - timedelta(minutes=10))
    assert active.get("/api/me").status_code == 200
    clock.advance(timedelta(minutes=20))
    # The idle session, the sign-in and the count of sign-ins started from this address.
    assert sweep_expired(entra_services) == 3
    assert rows(entra_services) == ["session"]
    assert active.get("/api/me").status_code == 200
    assert idle.get("/api/me").status_code == 401


def test_a_session_past_seven_days_is_deleted_however_active(
    services: Services, clock: Clock
) -> None:
    from shared.identity.local_users import local_user
    from shared.identity.sessions import ABSOLUTE_TIMEOUT, resolve_session, start_session

    session_id = start_session(services, local_user("ann@contoso.com"))
    elapsed = timedelta()
    while elapsed < ABSOLUTE_TIMEOUT:
        clock.advance(timedelta(hours=6))
        elapsed += timedelta(hours=6)
        resolve_session(services, session_id)  # keeps it from going idle
        if elapsed < ABSOLUTE_TIMEOUT:
            assert sweep_expired(services) == 0
    clock.advance(timedelta(minutes=1))
    # Swept without being presented again (presenting it would end it too).
    assert sweep_expired(services) == 1
    assert rows(services) == []
