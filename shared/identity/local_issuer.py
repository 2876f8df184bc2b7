"""Local mode's stand-in for Entra as a token issuer: an RSA key generated per process.

Its tokens have the claims of Entra v2 access tokens and are checked by the same validator as
Entra's; the only difference is where the validator finds the key. The key exists only in the
memory of a process running with DEV_MODE, so nothing it signs is trusted anywhere else.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.errors import NotFound
from shared.identity.entra_tokens import ALGORITHM, ISSUER_V2, StaticKeys
from shared.identity.local_users import local_user
from shared.services import Services

LOCAL_ISSUER_GATEWAY = "local_token_issuer"
TOKEN_LIFETIME = timedelta(hours=1)
# The scope Office SSO and nested app authentication request for the add-in's own API.
ADDIN_SCOPE = "access_as_user"
# The client that asked for the token; Entra names Office's or the add-in's own app here.
LOCAL_CLIENT_APP_ID = "00000000-0000-4000-8000-0000000c0de1"


class LocalIssuer:
    """Signs add-in tokens with a key of its own and publishes that key by its kid."""

    def __init__(self) -> None:
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "local-" + secrets.token_hex(8)
        public_jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._private_key.public_key()))
        public_jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        self._jwks = {"keys": [public_jwk]}
        self.keys = StaticKeys({self.kid: jwt.PyJWK(public_jwk, algorithm=ALGORITHM)})

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": "JWT"}
        )


def local_issuer(services: Services) -> LocalIssuer:
    """The process's local issuer; refused outside local mode."""
    if not services.settings.dev_mode:
        raise NotFound("the local token issuer exists only in local mode")
    return services.gateway(LOCAL_ISSUER_GATEWAY, lambda _: LocalIssuer())


def local_addin_token(
    services: Services, audience: str, email: str, tenant_id: str | None = None
) -> str:
    """An add-in token for the address, shaped as Entra v2 issues them."""
    user = local_user(email)
    tenant = tenant_id or user.tenant_id
    now = services.clock()
    issued = int(now.timestamp())
    claims = {
        "aud": audience,
        "iss": ISSUER_V2.format(tid=tenant),
        "iat": issued,
        "nbf": issued,
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "ver": "2.0",
        "tid": tenant,
        "oid": user.object_id,
        "sub": uuid.uuid5(uuid.UUID(user.object_id), audience).hex,
        "azp": LOCAL_CLIENT_APP_ID,
        "scp": ADDIN_SCOPE,
        "preferred_username": email,
        "name": email.split("@", 1)[0],
        "uti": secrets.token_urlsafe(16),
    }
    return local_issuer(services).sign(claims)
