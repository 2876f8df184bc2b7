"""Microsoft Entra ID faked at the HTTP level: metadata, JWKS, token endpoint, signing keys.

The real MSAL and the real validator talk to it through `requests`, intercepted by `responses`;
Azurite and the local host on 127.0.0.1 pass through.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.identity.entra_tokens import ENTRA_JWKS_URL

HOST = "https://login.microsoftonline.com"
OPENID_CONFIGURATION_URL = f"{HOST}/organizations/v2.0/.well-known/openid-configuration"
AUTHORIZE_URL = f"{HOST}/organizations/oauth2/v2.0/authorize"
TOKEN_URL = f"{HOST}/organizations/oauth2/v2.0/token"

TENANT = "3c5f2b8e-1d4a-4f6b-9e7c-0a1b2c3d4e5f"
OTHER_TENANT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
PORTAL_CLIENT_ID = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
PORTAL_CLIENT_SECRET = "test-portal-secret"
ADDIN_CLIENT_ID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
# The add-in app's Application ID URI, as Office SSO needs it: api://<add-in host>/<client id>.
ADDIN_APP_ID_URI = f"api://addin.securemailmerge.com/{ADDIN_CLIENT_ID}"
# Personal Microsoft accounts sign in through this tenant; a guest's home tenant is another.
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    """An RSA key as Entra's: published in the JWKS under its kid, signing RS256."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or "test-" + secrets.token_hex(6)
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        document.update({"kid": self.kid, "use": "sig", "x5t": self.kid})
        return document

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, kid: str | None = None, **header: Any) -> str:
        headers = {"kid": kid or self.kid, "typ": "JWT", **header}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)

    def sign_any(self, claims: object) -> str:
        """Signs any JSON payload, even claims PyJWT would refuse to encode."""
        payload = json.dumps(claims).encode()
        return jwt.PyJWS().encode(
            payload, self.private_key, algorithm="RS256", headers={"kid": self.kid}
        )


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """`alg: none`, an empty signature."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    return f"{header}.{payload}."


def hmac_with_public_key(claims: dict[str, Any], key: SigningKey) -> str:
    """HS256 "signed" with the RSA public key: the classic algorithm-confusion forgery."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(key.public_pem(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def entra_claims(
    *,
    audience: str,
    now: datetime,
    tenant: str = TENANT,
    version: str = "2.0",
    email: str = "ann@contoso.com",
    object_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The claims of a v2 (or v1) Entra token for a user, valid for an hour from `now`."""
    issued = int(now.timestamp())
    issuer = f"{HOST}/{tenant}/v2.0" if version == "2.0" else f"https://sts.windows.net/{tenant}/"
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": issuer,
        "iat": issued,
        "nbf": issued,
        "exp": issued + 3600,
        "ver": version,
        "tid": tenant,
        "oid": object_id or str(uuid.uuid5(uuid.NAMESPACE_URL, email)),
        "sub": secrets.token_urlsafe(16),
        "name": "Ann Example",
    }
    if version == "2.0":
        claims["preferred_username"] = email
    else:
        claims["upn"] = email
        claims["unique_name"] = email
    claims.update(extra)
    return claims


# A defect turns valid claims (and the key that would sign them) into a token to be refused.
Defect = Callable[[dict[str, Any], SigningKey, SigningKey], str]


def _with(**changes: Any) -> Defect:
    def build(claims: dict[str, Any], key: SigningKey, other: SigningKey) -> str:
        return key.sign({**claims, **changes})

    return build


def _shifted(**offsets: int) -> Defect:
    def build(claims: dict[str, Any], key: SigningKey, other: SigningKey) -> str:
        return key.sign(
            {**claims, **{name: claims[name] + delta for name, delta in offsets.items()}}
        )

    return build


def _issuer_of(template: str) -> Defect:
    def build(claims: dict[str, Any], key: SigningKey, other: SigningKey) -> str:
        return key.sign({**claims, "iss": template.format(tid=claims["tid"])})

    return build


TOKEN_DEFECTS: dict[str, Defect] = {
    # Signed by a key nobody published, under the kid of a trusted one.
    "bad signature": lambda claims, key, other: other.sign(claims, kid=key.kid),
    "tampered payload": lambda claims, key, other: _tamper(key.sign(claims)),
    "alg none": lambda claims, key, other: unsigned_token(claims, key.kid),
    "HS256 with the public key": lambda claims, key, other: hmac_with_public_key(claims, key),
    "RS512": lambda claims, key, other: jwt.encode(
        claims, key.private_key, algorithm="RS512", headers={"kid": key.kid}
    ),
    "no kid": lambda claims, key, other: jwt.encode(claims, key.private_key, algorithm="RS256"),
    "unknown kid": lambda claims, key, other: other.sign(claims),
    "wrong audience": _with(aud="11111111-2222-4333-8444-555555555555"),
    "audience list": lambda claims, key, other: key.sign({**claims, "aud": [claims["aud"]]}),
    "wrong issuer": _issuer_of("https://login.example.com/{tid}/v2.0"),
    "issuer of another tenant": lambda claims, key, other: key.sign(
        {**claims, "iss": f"{HOST}/{OTHER_TENANT}/v2.0"}
    ),
    "tid not a GUID": lambda claims, key, other: key.sign(
        {**claims, "tid": "contoso.com", "iss": f"{HOST}/contoso.com/v2.0"}
    ),
    "tid missing": lambda claims, key, other: key.sign(
        {name: value for name, value in claims.items() if name != "tid"}
    ),
    "version unknown": _with(ver="3.0"),
    "expired": _shifted(exp=-3600 - 600),
    "not yet valid": _shifted(nbf=600),
    "issued in the future": _shifted(iat=600, nbf=600),
    "exp missing": lambda claims, key, other: key.sign(
        {name: value for name, value in claims.items() if name != "exp"}
    ),
    "exp not a number": _with(exp="tomorrow"),
    "oid not a GUID": _with(oid="not-a-guid"),
}


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["preferred_username"] = "mallory@contoso.com"
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


@dataclass
class Authorization:
    """What the user's browser sent to Microsoft's authorize endpoint."""

    params: dict[str, str]
    code: str
    claims: dict[str, Any] = field(default_factory=dict)


class FakeEntra:
    """Entra's endpoints as MSAL and the validator call them."""

    token_url = TOKEN_URL

    def __init__(self, mock: responses.RequestsMock, clock: Callable[[], datetime]) -> None:
        self.mock = mock
        self.clock = clock
        self.key = SigningKey()
        self.other_key = SigningKey()
        self.published: list[SigningKey] = [self.key]
        self.authorizations: dict[str, Authorization] = {}
        self.token_requests: list[dict[str, str]] = []
        # Turns the claims of the signed-in user into the id token the token endpoint returns.
        self.id_token: Callable[[dict[str, Any]], str] = self.key.sign
        mock.add(
            responses.GET,
            OPENID_CONFIGURATION_URL,
            json={
                "authorization_endpoint": AUTHORIZE_URL,
                "token_endpoint": TOKEN_URL,
                "issuer": f"{HOST}/{{tenantid}}/v2.0",
                "jwks_uri": ENTRA_JWKS_URL,
                "response_modes_supported": ["query", "fragment", "form_post"],
            },
        )
        mock.add_callback(responses.GET, ENTRA_JWKS_URL, callback=self._jwks)
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    @property
    def jwks_calls(self) -> int:
        return sum(1 for call in self.mock.calls if call.request.url == ENTRA_JWKS_URL)

    def _jwks(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.dumps({"keys": [key.public_jwk() for key in self.published]})
        return 200, {"Content-Type": "application/json"}, body

    def authorize(
        self, authorize_url: str, *, email: str = "ann@contoso.com", **claims: Any
    ) -> dict[str, str]:
        """The user signs in at Microsoft: the query Microsoft sends the browser back with."""
        parts = urlsplit(authorize_url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE_URL
        params = {name: values[0] for name, values in parse_qs(parts.query).items()}
        code = "code-" + secrets.token_urlsafe(24)
        self.authorizations[code] = Authorization(params, code, {"email": email, **claims})
        return {"code": code, "state": params["state"], "session_state": str(uuid.uuid4())}

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        form = {name: values[0] for name, values in parse_qs(request.body).items()}
        self.token_requests.append(form)
        headers = {"Content-Type": "application/json"}
        grant = self.authorizations.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, headers, json.dumps({"error": "invalid_grant"})
        # PKCE: the verifier must hash to the challenge the authorization request carried.
        verifier = form.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if grant.params.get("code_challenge_method") != "S256" or challenge != grant.params.get(
            "code_challenge"
        ):
            return 400, headers, json.dumps({"error": "invalid_grant", "error_description": "pkce"})
        if form.get("redirect_uri") != grant.params.get("redirect_uri"):
            return 400, headers, json.dumps({"error": "invalid_grant"})
        claims = entra_claims(
            audience=PORTAL_CLIENT_ID,
            now=self.clock(),
            nonce=grant.params["nonce"],
            **grant.claims,
        )
        answer = {
            "token_type": "Bearer",
            "scope": "email openid profile",
            "expires_in": 3600,
            "access_token": "opaque-access-token",
            "id_token": self.id_token(claims),
        }
        return 200, headers, json.dumps(answer)


@contextmanager
def faked_entra(clock: Callable[[], datetime]) -> Iterator[FakeEntra]:
    """Entra's endpoints faked for the duration; loopback (Azurite, the local host) passes."""
    with responses.RequestsMock(
        assert_all_requests_are_fired=False, passthru_prefixes=("http://127.0.0.1",)
    ) as mock:
        yield FakeEntra(mock, clock)
