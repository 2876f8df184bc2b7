"""Add-in tokens: Entra access tokens (v1 and v2) and local mode's, through one validator."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from shared.errors import InvalidToken, Problem
from shared.identity.addin_tokens import LOCAL_ADDIN_AUDIENCE, principal_for_token
from shared.identity.principal import PrincipalKind
from shared.identity.resolve import resolve_principal
from shared.services import Services
from tests.api_client import ApiClient
from tests.azurite import Azurite
from tests.conftest import Clock, make_settings
from tests.identity.fake_entra import (
    ADDIN_APP_ID_URI,
    ADDIN_CLIENT_ID,
    TENANT,
    TOKEN_DEFECTS,
    FakeEntra,
    entra_claims,
)
from tests.production_settings import PRODUCTION


def addin_claims(clock: Clock, **extra: Any) -> dict[str, Any]:
    return entra_claims(audience=ADDIN_CLIENT_ID, now=clock(), scp="access_as_user", **extra)


def resolve(services: Services, token: str):  # type: ignore[no-untyped-def]
    return resolve_principal(services, {"authorization": f"Bearer {token}"}, {})


def test_a_v2_token_names_the_add_in_user(
    entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    token = entra.key.sign(addin_claims(clock, email="Ann@Contoso.com", object_id=TENANT))
    principal = resolve(entra_services, token)
    assert principal.kind is PrincipalKind.ADDIN
    assert principal.email == "ann@contoso.com"
    assert (principal.tenant_id, principal.object_id) == (TENANT, TENANT)
    assert not principal.via_cookie


@pytest.mark.parametrize("audience", [ADDIN_CLIENT_ID, ADDIN_APP_ID_URI])
def test_a_v1_token_for_the_app_id_uri_is_accepted(
    entra_services: Services, entra: FakeEntra, clock: Clock, audience: str
) -> None:
    claims = addin_claims(clock, version="1.0", aud=audience)
    assert "preferred_username" not in claims  # v1 names the user in upn
    principal = principal_for_token(entra_services, entra.key.sign(claims))
    assert principal.email == "ann@contoso.com"


@pytest.mark.parametrize(
    "audience",
    [
        f"api://{ADDIN_CLIENT_ID}",  # Entra's default URI, but not the one configured
        f"api://securemailmerge.com/{ADDIN_CLIENT_ID}",
        f"api://evil.example/{ADDIN_CLIENT_ID}",
        f"{ADDIN_APP_ID_URI}/access_as_user",
        ADDIN_APP_ID_URI.upper(),
    ],
)
def test_only_the_configured_app_id_uri_and_client_id_are_accepted(
    entra_services: Services, entra: FakeEntra, clock: Clock, audience: str
) -> None:
    token = entra.key.sign(addin_claims(clock, version="1.0", aud=audience))
    with pytest.raises(InvalidToken, match="not meant for this service"):
        principal_for_token(entra_services, token)


def test_without_a_configured_uri_the_default_app_id_uri_is_accepted(
    azurite: Azurite, services: Services, entra: FakeEntra, clock: Clock
) -> None:
    from shared.services import use_services

    settings = make_settings(azurite, ADDIN_CLIENT_ID=ADDIN_CLIENT_ID)
    plain = Services(settings=settings, storage=services.storage, clock=clock)
    use_services(plain)
    default = entra.key.sign(addin_claims(clock, version="1.0", aud=f"api://{ADDIN_CLIENT_ID}"))
    assert principal_for_token(plain, default).email == "ann@contoso.com"
    other = entra.key.sign(addin_claims(clock, version="1.0", aud=ADDIN_APP_ID_URI))
    with pytest.raises(InvalidToken):
        principal_for_token(plain, other)


def test_unique_name_alone_does_not_name_the_user(
    entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    """v1's unique_name is a display value (a guest's is live.com#...): not a verified address."""
    claims = addin_claims(clock, version="1.0")
    del claims["upn"]
    with pytest.raises(InvalidToken):
        principal_for_token(entra_services, entra.key.sign(claims))


@pytest.mark.parametrize("defect", sorted(TOKEN_DEFECTS))
def test_each_token_defect_is_refused(
    entra_services: Services, entra: FakeEntra, clock: Clock, defect: str
) -> None:
    token = TOKEN_DEFECTS[defect](addin_claims(clock), entra.key, entra.other_key)
    with pytest.raises(InvalidToken):
        resolve(entra_services, token)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": f"{ADDIN_CLIENT_ID}/"},
        {"aud": f"api://evil.example/{ADDIN_CLIENT_ID}x"},
        {"aud": f"https://securemailmerge.com/{ADDIN_CLIENT_ID}"},
        {"aud": "api://securemailmerge.com/00000000-0000-4000-8000-000000000000"},
        {"aud": f"api://host with space/{ADDIN_CLIENT_ID}"},
        # An id token for the add-in's app carries no delegated scope: not an access token.
        {"scp": None},
        {"scp": ""},
        # A v1 token with the v2 issuer, and the reverse.
        {"ver": "1.0"},
        {"iss": f"https://sts.windows.net/{TENANT}/"},
        {"preferred_username": "not an address"},
        {"preferred_username": None},
    ],
    ids=repr,
)
def test_tokens_not_for_the_add_in_or_without_a_user_are_refused(
    entra_services: Services, entra: FakeEntra, clock: Clock, changes: dict[str, Any]
) -> None:
    claims = addin_claims(clock)
    for name, value in changes.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = value
    with pytest.raises(InvalidToken):
        principal_for_token(entra_services, entra.key.sign(claims))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic abc", "bearer", "Token x.y.z", "Bearer a.b", "Bearer ..."],
)
def test_malformed_authorization_headers_are_401(
    entra_services: Services, authorization: str
) -> None:
    with pytest.raises(Problem) as refused:
        resolve_principal(entra_services, {"authorization": authorization}, {})
    assert refused.value.status == 401


def test_outside_local_mode_without_addin_client_id_tokens_cannot_be_checked(
    azurite: Azurite, services: Services
) -> None:
    # The settings refuse to start without ADDIN_CLIENT_ID; the check guards regardless.
    settings = make_settings(azurite, **{**PRODUCTION, "DEV_MODE": False})
    settings = settings.model_copy(update={"addin_client_id": None})
    production = Services(settings=settings, storage=services.storage)
    with pytest.raises(Problem) as refused:
        principal_for_token(production, "a.b.c")
    assert (refused.value.status, refused.value.code) == (503, "not_configured")


# Local mode: tokens of the local issuer, checked by the same validator.


def test_a_local_token_is_accepted_in_local_mode(api: ApiClient, services: Services) -> None:
    response = api.post("/api/dev/token", json={"email": " Bob@Fabrikam.com "})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    header, claims = (
        jwt.get_unverified_header(token),
        jwt.decode(token, options={"verify_signature": False}),
    )
    assert header["alg"] == "RS256" and header["kid"].startswith("local-")
    # Shaped as Entra v2 tokens: per-tenant issuer, the add-in's audience, a delegated scope.
    assert claims["iss"] == f"https://login.microsoftonline.com/{claims['tid']}/v2.0"
    assert claims["aud"] == LOCAL_ADDIN_AUDIENCE
    assert claims["ver"] == "2.0" and claims["scp"] == "access_as_user"
    principal = resolve(services, token)
    assert principal.kind is PrincipalKind.ADDIN
    assert principal.email == "bob@fabrikam.com"


def test_a_local_token_carries_the_requested_tenant_and_the_addin_client_id(
    api: ApiClient, entra_services: Services
) -> None:
    response = api.post("/api/dev/token", json={"email": "bob@fabrikam.com", "tenant_id": TENANT})
    token = response.json()["token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == ADDIN_CLIENT_ID
    principal = resolve(entra_services, token)
    assert principal.tenant_id == TENANT


def test_a_local_token_is_refused_outside_local_mode(
    api: ApiClient, azurite: Azurite, services: Services, entra: FakeEntra
) -> None:
    token = api.post("/api/dev/token", json={"email": "bob@fabrikam.com"}).json()["token"]
    settings = make_settings(
        azurite, **{**PRODUCTION, "DEV_MODE": False, "ADDIN_CLIENT_ID": ADDIN_CLIENT_ID}
    )
    production = Services(settings=settings, storage=services.storage)
    with pytest.raises(InvalidToken, match="unknown key"):
        principal_for_token(production, token)


def test_an_expired_local_token_is_refused(
    api: ApiClient, services: Services, clock: Clock
) -> None:
    from datetime import timedelta

    token = api.post("/api/dev/token", json={"email": "bob@fabrikam.com"}).json()["token"]
    clock.advance(timedelta(hours=1, minutes=5))
    with pytest.raises(InvalidToken, match="expired"):
        resolve(services, token)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "bob@fabrikam.com", "tenant_id": "contoso.com"}, "tenant_id"),
        ({"email": "bob@fabrikam.com", "role": "admin"}, "role"),
        ({}, "email"),
    ],
)
def test_bad_dev_token_requests_are_422_naming_the_field(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = api.post("/api/dev/token", json=body)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [field]


# Over HTTP: an add-in token is no portal session.


def test_over_http_a_valid_add_in_token_is_authenticated_but_not_a_portal_user(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    token = entra.key.sign(addin_claims(clock))
    response = api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("defect", ["alg none", "HS256 with the public key", "expired"])
def test_over_http_a_defective_add_in_token_is_401_invalid_token(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock, defect: str
) -> None:
    token = TOKEN_DEFECTS[defect](addin_claims(clock), entra.key, entra.other_key)
    response = api.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_token"
    assert token not in response.text


# Through the add-in's own endpoint, GET /api/license.


def test_the_license_check_accepts_a_local_token(api: ApiClient, services: Services) -> None:
    token = api.post("/api/dev/token", json={"email": "bob@fabrikam.com"}).json()["token"]
    response = api.get("/api/license", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "bob@fabrikam.com"


def test_the_license_check_accepts_an_entra_token(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    token = entra.key.sign(addin_claims(clock, version="1.0", aud=ADDIN_APP_ID_URI))
    response = api.get("/api/license", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "ann@contoso.com"


@pytest.mark.parametrize("defect", sorted(TOKEN_DEFECTS))
def test_the_license_check_refuses_each_token_defect_with_401(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock, defect: str
) -> None:
    token = TOKEN_DEFECTS[defect](addin_claims(clock), entra.key, entra.other_key)
    response = api.get("/api/license", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_the_license_check_needs_the_add_in_token(api: ApiClient, services: Services) -> None:
    assert api.get("/api/license").status_code == 401
    portal_user = api.login("bob@fabrikam.com")
    assert portal_user.get("/api/license").status_code == 403
