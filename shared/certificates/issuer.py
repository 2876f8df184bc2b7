"""License certificates: the license check's answer, signed (ES256) for the add-in to verify
offline, so a bad hour of the service, the network or Entra does not put the promotional
footer back on a paying customer's mail.

A certificate lives at most 7 days and never past the subscription's period end plus 3 days
(the grace Stripe's renewal needs); an unlicensed answer's lives 1 hour, so a seat assigned
meanwhile shows up soon in an add-in that is offline. Signing costs CPU on every check, so a
certificate is reused for the same holder and state while more than half its life remains:
the add-in then still holds one with days to run when it is next refreshed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from shared.certificates.keys import ALGORITHM, SigningKey, jwks, local_signing_key
from shared.identity.addin_tokens import addin_client_id
from shared.services import Services

CERTIFICATE_TYPE = "smm-license+jwt"
LICENSED_LIFETIME = timedelta(days=7)
UNLICENSED_LIFETIME = timedelta(hours=1)
PERIOD_END_GRACE = timedelta(days=3)
ISSUER_GATEWAY = "license_certificates"
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Statement:
    """What a certificate says about its holder, apart from the times: the cache's key."""

    subject: str
    tenant_id: str | None
    licensed: bool
    status: str | None = None
    subscription: str | None = None
    reason: str | None = None
    shared_mailbox: str | None = None
    period_end: str | None = None


@dataclass(frozen=True)
class _Issued:
    token: str
    issued_at: datetime
    renew_at: datetime


class CertificateIssuer:
    """Signs certificates with the current key and publishes every key that verifies one."""

    def __init__(self, key: SigningKey, published: list[Any], issuer: str, audience: str) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self._jwks = jwks([key.public, *published])
        self._issued: dict[Statement, _Issued] = {}
        self._lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def certificate(self, statement: Statement, now: datetime) -> str:
        """The holder's certificate: the one issued before while more than half its life is
        left, else a new one."""
        issued = self._issued.get(statement)
        if issued is not None and issued.issued_at <= now < issued.renew_at:
            return issued.token
        token, expires = self._sign(statement, now)
        with self._lock:
            if len(self._issued) >= _CACHE_MAX:
                self._issued.clear()
            self._issued[statement] = _Issued(token, now, now + (expires - now) / 2)
        return token

    def expiry(self, statement: Statement, now: datetime) -> datetime:
        if not statement.licensed:
            return now + UNLICENSED_LIFETIME
        expires = now + LICENSED_LIFETIME
        if statement.period_end:
            expires = min(expires, datetime.fromisoformat(statement.period_end) + PERIOD_END_GRACE)
        return expires

    def _sign(self, statement: Statement, now: datetime) -> tuple[str, datetime]:
        expires = self.expiry(statement, now)
        issued = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": statement.subject,
            "tid": statement.tenant_id,
            "licensed": statement.licensed,
        }
        if statement.licensed:
            claims["status"] = statement.status
            claims["subscription"] = statement.subscription
        else:
            claims["reason"] = statement.reason
        if statement.shared_mailbox is not None:
            claims["shared_mailbox"] = statement.shared_mailbox
        claims.update({"iat": issued, "nbf": issued, "exp": int(expires.timestamp())})
        token = jwt.encode(
            claims,
            self.key.private,
            algorithm=ALGORITHM,
            headers={"kid": self.key.kid, "typ": CERTIFICATE_TYPE},
        )
        return token, expires


def _build(services: Services) -> CertificateIssuer:
    settings = services.settings
    # The settings refuse to start without the key outside local mode.
    key = settings.certificate_signing_key or local_signing_key()
    return CertificateIssuer(
        key,
        settings.certificate_published_keys,
        issuer=settings.portal_origin,
        audience=addin_client_id(services),
    )


def certificate_issuer(services: Services) -> CertificateIssuer:
    """The process's issuer, built once from the settings."""
    return services.gateway(ISSUER_GATEWAY, _build)


def certify(services: Services, caller: str, tenant_id: str | None, answer: dict[str, Any]) -> str:
    """The certificate of a license check's answer to `caller` (who signed in)."""
    licensed = bool(answer["licensed"])
    holder = answer["email"]
    statement = Statement(
        subject=caller,
        tenant_id=tenant_id,
        licensed=licensed,
        status=answer.get("status") if licensed else None,
        subscription=answer.get("subscription") if licensed else None,
        reason=None if licensed else answer.get("reason"),
        shared_mailbox=holder if holder != caller else None,
        period_end=answer.get("expires_at") if licensed else None,
    )
    return certificate_issuer(services).certificate(statement, services.clock())
