"""License certificates: verifiable with PyJWT against GET /api/license/keys, claims equal to
the answer, lifetimes within the rules, reused only for the same holder and state, and keys
that rotate without breaking certificates already issued."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from shared.certificates.issuer import (
    CERTIFICATE_TYPE,
    LICENSED_LIFETIME,
    PERIOD_END_GRACE,
    UNLICENSED_LIFETIME,
    certificate_issuer,
)
from shared.certificates.keys import generate_pem, local_signing_key, parse_signing_key
from shared.identity.addin_tokens import LOCAL_ADDIN_CLIENT_ID
from shared.identity.local_users import local_user
from shared.licenses.check import check_license
from shared.services import Services
from shared.settings import load_settings
from shared.subscriptions.model import Status
from tests.api_client import ApiClient
from tests.azurite import Azurite
from tests.conftest import PORTAL_ORIGIN, Clock, make_settings
from tests.factories import change_record, make_subscription
from tests.production_settings import PRODUCTION
from tests.shared.licenses.helpers import assign_emails

ANN = "ann@contoso.com"


def addin(api: ApiClient, email: str) -> ApiClient:
    token = api.post("/api/dev/token", json={"email": email})
    assert token.status_code == 200, token.text
    client = api.fresh()
    client.session.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def verify(
    certificate: str,
    jwks: dict[str, Any],
    audience: str = LOCAL_ADDIN_CLIENT_ID,
    at: datetime | None = None,
) -> Any:
    """What a client does: the key by kid, ES256 only, audience, expiry, the required claims;
    `at` checks the times against a test's clock instead of the real one."""
    header = jwt.get_unverified_header(certificate)
    assert header["typ"] == CERTIFICATE_TYPE
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    times = at is None
    claims = jwt.decode(
        certificate,
        key,
        algorithms=["ES256"],
        audience=audience,
        issuer=PORTAL_ORIGIN,
        options={
            "require": ["iss", "aud", "sub", "iat", "nbf", "exp"],
            "verify_exp": times,
            "verify_nbf": times,
            "verify_iat": times,
        },
    )
    if at is not None:
        assert claims["nbf"] <= at.timestamp() < claims["exp"]
    return claims


def check(services: Services, email: str, mailbox: str | None = None) -> dict[str, Any]:
    return check_license(services, email, local_user(email).tenant_id, mailbox)


def tampered(certificate: str, **claims: Any) -> str:
    header, payload, signature = certificate.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_certificate_from_the_service_verifies_against_its_keys_and_matches_the_answer(
    api: ApiClient, services: Services
) -> None:
    subscription = make_subscription(services, name="Contoso Ltd")
    assign_emails(services, subscription, [ANN])
    response = addin(api, ANN).get("/api/license")
    assert response.status_code == 200, response.text
    answer = response.json()
    keys = api.get("/api/license/keys")
    assert keys.status_code == 200
    assert keys.headers["Cache-Control"] == "public, max-age=3600"
    assert {key["kty"] for key in keys.json()["keys"]} == {"EC"}

    claims = verify(answer["certificate"], keys.json())
    assert claims["sub"] == ANN == answer["email"]
    assert claims["tid"] == local_user(ANN).tenant_id
    assert claims["licensed"] is True
    assert (claims["status"], claims["subscription"]) == ("active", "Contoso Ltd")
    assert "shared_mailbox" not in claims
    assert claims["nbf"] == claims["iat"]
    # Period end 30 days ahead: the 7-day cap applies.
    assert claims["exp"] - claims["iat"] == LICENSED_LIFETIME.total_seconds()

    with pytest.raises(jwt.InvalidSignatureError):
        verify(tampered(answer["certificate"], sub="mallory@contoso.com"), keys.json())
    with pytest.raises(jwt.InvalidAudienceError):
        verify(answer["certificate"], keys.json(), audience="another-add-in")


def test_an_unlicensed_answer_is_certified_for_an_hour_with_its_reason(
    api: ApiClient, services: Services
) -> None:
    answer = addin(api, "nobody@contoso.com").get("/api/license").json()
    claims = verify(answer["certificate"], api.get("/api/license/keys").json())
    assert (
        (claims["licensed"], claims["reason"])
        == (False, "no_license")
        == (
            answer["licensed"],
            answer["reason"],
        )
    )
    assert "status" not in claims and "subscription" not in claims
    assert claims["exp"] - claims["iat"] == UNLICENSED_LIFETIME.total_seconds()


def test_an_expired_subscription_is_certified_as_not_licensed(services: Services) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, [ANN])
    change_record(services, subscription.id, status=Status.EXPIRED)
    from shared.licenses.sync import request_lookup_sync
    from tests.factories import drain_license_sync

    request_lookup_sync(services, subscription.id)
    drain_license_sync(services)
    answer = check(services, ANN)
    claims = verify(answer["certificate"], certificate_issuer(services).jwks())
    assert (claims["licensed"], claims["reason"]) == (False, "expired")


def test_a_certificate_never_outlives_the_period_end_by_more_than_three_days(
    services: Services, clock: Clock
) -> None:
    subscription = make_subscription(services)
    period_end = (clock.now + timedelta(days=1)).replace(microsecond=0)
    subscription = change_record(services, subscription.id, current_period_end=period_end)
    assign_emails(services, subscription, [ANN])
    claims = verify(check(services, ANN)["certificate"], certificate_issuer(services).jwks())
    assert claims["exp"] == int((period_end + PERIOD_END_GRACE).timestamp())
    assert claims["exp"] - claims["iat"] < LICENSED_LIFETIME.total_seconds()


def test_a_shared_mailbox_names_the_mailbox_and_the_signed_in_user(services: Services) -> None:
    assign_emails(services, make_subscription(services), ["sales@contoso.com"], shared_mailbox=True)
    answer = check(services, ANN, mailbox="sales@contoso.com")
    claims = verify(answer["certificate"], certificate_issuer(services).jwks())
    assert (claims["sub"], claims["shared_mailbox"]) == (ANN, "sales@contoso.com")
    assert claims["licensed"] is True and answer["email"] == "sales@contoso.com"


def test_a_certificate_is_reused_while_more_than_half_its_life_remains(
    services: Services, clock: Clock
) -> None:
    subscription = make_subscription(services)
    assign_emails(services, subscription, [ANN])
    first = check(services, ANN)["certificate"]
    clock.advance(LICENSED_LIFETIME / 2 - timedelta(seconds=1))
    assert check(services, ANN)["certificate"] == first
    clock.advance(timedelta(seconds=2))
    renewed = check(services, ANN)["certificate"]
    assert renewed != first
    claims = verify(renewed, certificate_issuer(services).jwks(), at=clock.now)
    assert claims["iat"] == int(clock.now.timestamp())
    # Another holder, or another state of the same holder, never gets that certificate.
    assert check(services, "bob@contoso.com")["certificate"] != renewed
    change_record(services, subscription.id, name="Renamed")
    from shared.licenses.sync import request_lookup_sync
    from tests.factories import drain_license_sync

    request_lookup_sync(services, subscription.id)
    drain_license_sync(services)
    renamed = check(services, ANN)["certificate"]
    claims = verify(renamed, certificate_issuer(services).jwks(), at=clock.now)
    assert claims["subscription"] == "Renamed"


def rotated_services(azurite: Azurite, services: Services, clock: Clock, **keys: str) -> Services:
    return Services(settings=make_settings(azurite, **keys), storage=services.storage, clock=clock)


def test_a_rotation_keeps_certificates_already_issued_verifying(
    azurite: Azurite, services: Services, clock: Clock
) -> None:
    assign_emails(services, make_subscription(services), [ANN])
    old, new = generate_pem(), generate_pem()
    old_kid, new_kid = (parse_signing_key(pem, "test").kid for pem in (old, new))

    # 1. The next key is published an hour before it signs.
    staged = rotated_services(
        azurite, services, clock, LICENSE_SIGNING_KEY=old, LICENSE_SIGNING_KEY_NEXT=new
    )
    issued = check(staged, ANN)["certificate"]
    assert jwt.get_unverified_header(issued)["kid"] == old_kid
    staged_keys = certificate_issuer(staged).jwks()
    assert [key["kid"] for key in staged_keys["keys"]] == [old_kid, new_kid]

    # 2. The next key signs; the old one stays published until its certificates expire.
    promoted = rotated_services(
        azurite, services, clock, LICENSE_SIGNING_KEY=new, LICENSE_SIGNING_KEYS_PREVIOUS=old
    )
    renewed = check(promoted, ANN)["certificate"]
    assert jwt.get_unverified_header(renewed)["kid"] == new_kid
    keys = certificate_issuer(promoted).jwks()
    assert verify(issued, keys)["sub"] == verify(renewed, keys)["sub"] == ANN
    # A client that fetched the keys before the switch verifies the new certificates too.
    assert verify(renewed, staged_keys)["licensed"] is True

    # 3. Without the previous key, its certificates no longer verify.
    done = rotated_services(azurite, services, clock, LICENSE_SIGNING_KEY=new)
    with pytest.raises(KeyError):
        verify(issued, certificate_issuer(done).jwks())


def test_the_signing_key_is_required_and_checked_outside_local_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DEV_MODE", "AzureWebJobsStorage"):
        monkeypatch.delenv(name, raising=False)
    without = {name: value for name, value in PRODUCTION.items() if name != "LICENSE_SIGNING_KEY"}
    with pytest.raises(ValidationError, match="LICENSE_SIGNING_KEY"):
        load_settings(**without)
    for bad in ("not a key", generate_pem().replace("A", "B", 5), _rsa_pem()):
        with pytest.raises(ValidationError, match="LICENSE_SIGNING_KEY") as refused:
            load_settings(**{**without, "LICENSE_SIGNING_KEY": bad})
        # The message names the setting, never the key's material.
        body = [line for line in bad.splitlines() if line and not line.startswith("-----")]
        assert not any(line in str(refused.value) for line in body[:-1])
    with pytest.raises(ValidationError, match="LICENSE_SIGNING_KEYS_PREVIOUS"):
        load_settings(**PRODUCTION, LICENSE_SIGNING_KEYS_PREVIOUS="-----BEGIN PUBLIC KEY-----")
    settings = load_settings(
        **PRODUCTION, LICENSE_SIGNING_KEYS_PREVIOUS=generate_pem() + "\n" + generate_pem()
    )
    assert len(settings.certificate_published_keys) == 2
    assert "PRIVATE KEY" not in repr(settings)


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_local_mode_generates_its_key_once_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / ".local" / "license-signing-key.pem"
    first = local_signing_key(path)
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert local_signing_key(path).kid == first.kid
    assert list(path.parent.iterdir()) == [path]


def test_local_mode_without_the_setting_signs_with_the_kept_key(services: Services) -> None:
    assert services.settings.license_signing_key is None
    assert certificate_issuer(services).key.kid == local_signing_key().kid


def test_timestamps_are_whole_seconds_in_utc(services: Services, clock: Clock) -> None:
    claims = verify(
        check(services, "nobody@contoso.com")["certificate"], certificate_issuer(services).jwks()
    )
    assert datetime.fromtimestamp(claims["iat"], UTC) <= clock.now
