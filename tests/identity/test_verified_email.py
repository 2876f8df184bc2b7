"""Identity from verified claims only ("nOAuth"): every claim combination, at sign-in and for
the add-in, through the same tokens Entra would issue (faked at the HTTP level)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import InvalidToken
from shared.identity.addin_tokens import principal_for_token
from shared.services import Services
from tests.api_client import ApiClient
from tests.conftest import Clock
from tests.identity.fake_entra import (
    ADDIN_CLIENT_ID,
    CONSUMER_TENANT,
    HOST,
    OTHER_TENANT,
    TENANT,
    FakeEntra,
    entra_claims,
)
from tests.identity.test_sign_in import sign_in

pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post':UserWarning")

MEMBER = "ann@contoso.com"
TYPED = "ceo@fabrikam.com"  # what anyone can type into the mutable `email` attribute
GONE = object()


def _consumer(claims: dict[str, Any]) -> dict[str, Any]:
    return {"tid": CONSUMER_TENANT, "iss": f"{HOST}/{CONSUMER_TENANT}/v2.0"}


# (changes to a member's v2 token, the address the service must take, or None: refused)
CASES: dict[str, tuple[dict[str, Any], str | None]] = {
    "member: preferred_username": ({}, MEMBER),
    "member: unverified email is ignored": ({"email": TYPED}, MEMBER),
    "member: email with xms_edov false is ignored": ({"email": TYPED, "xms_edov": False}, MEMBER),
    "member: email with xms_edov true": (
        {"email": "Ann.Lee@Contoso.com", "xms_edov": True},
        "ann.lee@contoso.com",
    ),
    "member: xms_edov as a string": (
        {"email": "ann.lee@contoso.com", "xms_edov": "1"},
        "ann.lee@contoso.com",
    ),
    "member: upn when preferred_username is no address": (
        {"preferred_username": "Ann", "upn": "ann.upn@contoso.com"},
        "ann.upn@contoso.com",
    ),
    "member: acct 0": ({"acct": 0, "email": TYPED}, MEMBER),
    "member: idp is the issuer": ({"idp": f"{HOST}/{TENANT}/v2.0"}, MEMBER),
    "member: only an unverified email": ({"preferred_username": GONE, "email": TYPED}, None),
    "member: no address at all": ({"preferred_username": GONE}, None),
    "guest by acct: preferred_username": ({"acct": 1}, None),
    "guest by acct: unverified email": ({"acct": 1, "email": TYPED}, None),
    "guest by acct: verified email": ({"acct": 1, "email": TYPED, "xms_edov": True}, TYPED),
    "guest by home tenant: preferred_username": (
        {"idp": f"https://sts.windows.net/{OTHER_TENANT}/"},
        None,
    ),
    "guest by home tenant: verified email": (
        {"idp": f"https://sts.windows.net/{OTHER_TENANT}/", "email": TYPED, "xms_edov": True},
        TYPED,
    ),
    "personal account: preferred_username": ({"personal": True}, None),
    "personal account: unverified email": ({"personal": True, "email": TYPED}, None),
    "personal account: verified email": (
        {"personal": True, "email": TYPED, "xms_edov": True},
        TYPED,
    ),
}


def apply(claims: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = dict(claims)
    for name, value in changes.items():
        if name == "personal":
            result.update(_consumer(result))
        elif value is GONE:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@pytest.mark.parametrize(("changes", "expected"), CASES.values(), ids=list(CASES))
def test_sign_in_takes_the_address_from_verified_claims_only(
    api: ApiClient,
    entra_services: Services,
    entra: FakeEntra,
    changes: dict[str, Any],
    expected: str | None,
) -> None:
    entra.id_token = lambda claims: entra.key.sign(apply(claims, changes))
    client, callback = sign_in(api, entra, email=MEMBER)
    if expected is None:
        assert callback.status_code == 401, callback.text
        assert callback.json()["code"] == "invalid_token"
        assert "smm_session" not in callback.headers.get("Set-Cookie", "")
        assert client.get("/api/me").status_code == 401
    else:
        assert callback.status_code == 302, callback.text
        assert client.get("/api/me").json()["email"] == expected


@pytest.mark.parametrize(("changes", "expected"), CASES.values(), ids=list(CASES))
def test_the_add_in_takes_the_address_from_verified_claims_only(
    entra_services: Services,
    entra: FakeEntra,
    clock: Clock,
    changes: dict[str, Any],
    expected: str | None,
) -> None:
    claims = entra_claims(audience=ADDIN_CLIENT_ID, now=clock(), scp="access_as_user", email=MEMBER)
    token = entra.key.sign(apply(claims, changes))
    if expected is None:
        with pytest.raises(InvalidToken):
            principal_for_token(entra_services, token)
    else:
        assert principal_for_token(entra_services, token).email == expected


def test_the_license_check_refuses_a_guest_without_a_verified_address(
    api: ApiClient, entra_services: Services, entra: FakeEntra, clock: Clock
) -> None:
    claims = entra_claims(
        audience=ADDIN_CLIENT_ID, now=clock(), scp="access_as_user", email=TYPED, acct=1
    )
    response = api.get(
        "/api/license", headers={"Authorization": f"Bearer {entra.key.sign(claims)}"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_name_with_control_or_bidi_characters_is_not_kept(
    api: ApiClient, entra_services: Services, entra: FakeEntra
) -> None:
    entra.id_token = lambda claims: entra.key.sign({**claims, "name": "Ann\u202e\r\nAdmin"})
    client, callback = sign_in(api, entra, email=MEMBER)
    assert callback.status_code == 302
    assert client.get("/api/me").json()["name"] is None
