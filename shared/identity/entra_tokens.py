"""Entra-issued JWTs: signing keys by `kid`, and the one validator for id and add-in tokens.

MSAL Python 1.38+ no longer validates id tokens, so every token this service trusts goes
through `verify_token`: RS256 only, a key from a trusted key source, issuer built from the
token's own tenant, audience, lifetime and (for id tokens) nonce. PyJWT checks the signature;
the claims are checked here against the service's clock.
https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import jwt
import requests

from shared.errors import InvalidToken, UpstreamUnavailable
from shared.services import Services
from shared.validation import normalize_email, plain_text

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
# Entra's signing keys for every tenant: v1 and v2 tokens are signed by the same keys.
ENTRA_JWKS_URL = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
ENTRA_KEYS_GATEWAY = "entra_signing_keys"
ISSUER_V2 = "https://login.microsoftonline.com/{tid}/v2.0"
ISSUER_V1 = "https://sts.windows.net/{tid}/"
ISSUERS = {"2.0": ISSUER_V2, "1.0": ISSUER_V1}

# Clock skew tolerated on exp, nbf and iat.
LEEWAY = timedelta(minutes=2)
# A token with an unknown kid may make us fetch the keys again, but not more often than this,
# so a stream of forged tokens cannot turn us into a load generator against Entra.
UNKNOWN_KID_REFRESH = timedelta(minutes=5)
# Known keys are re-read daily so a key Entra withdrew stops being trusted.
# https://learn.microsoft.com/entra/identity-platform/signing-key-rollover
KEYS_MAX_AGE = timedelta(hours=24)
FAILED_FETCH_RETRY = timedelta(seconds=30)
FETCH_TIMEOUT_SECONDS = 10
# Entra tokens are a few kilobytes; anything far larger is refused before parsing.
MAX_TOKEN_LENGTH = 16 * 1024

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def is_guid(value: object) -> bool:
    """A GUID in Entra's canonical form (lower-case, hyphenated)."""
    return isinstance(value, str) and _GUID.fullmatch(value) is not None


class KeySource(Protocol):
    """Where a validator finds the public key that signed a token."""

    def signing_key(self, kid: str) -> jwt.PyJWK | None:
        """The RS256 key with this id, or None when the source does not know it."""
        ...


def parse_jwks(document: object) -> dict[str, jwt.PyJWK]:
    """The usable RS256 signing keys of a JWKS document, by kid; other keys are skipped."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        if not isinstance(kid, str) or not kid:
            continue
        try:
            keys[kid] = jwt.PyJWK(dict(entry), algorithm=ALGORITHM)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            # The error text would echo the key; its id is enough to investigate.
            logger.warning("skipped an unusable signing key (kid %s)", kid)
    return keys


def _get_json(url: str) -> object:
    response = requests.get(url, timeout=FETCH_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()


class JwksCache:
    """A remote JWKS, fetched on first use and cached by kid.

    An unknown kid refreshes the set at most every UNKNOWN_KID_REFRESH; a set older than
    KEYS_MAX_AGE is re-read (keeping the old keys if Entra does not answer).
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime],
        fetch: Callable[[str], object] = _get_json,
    ) -> None:
        self.url = url
        self._clock = clock
        self._fetch = fetch
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: datetime | None = None
        self._next_fetch_allowed: datetime | None = None
        self._lock = threading.Lock()

    def signing_key(self, kid: str) -> jwt.PyJWK | None:
        now = self._clock()
        known = self._keys.get(kid)
        if known is not None and not self._stale(now):
            return known
        with self._lock:
            now = self._clock()
            known = self._keys.get(kid)
            if known is not None and not self._stale(now):
                return known
            if self._next_fetch_allowed is not None and now < self._next_fetch_allowed:
                if self._loaded_at is None:
                    raise UpstreamUnavailable("Microsoft's signing keys are unavailable; try again")
                return known
            self._refresh(now)
            return self._keys.get(kid)

    def _stale(self, now: datetime) -> bool:
        return self._loaded_at is None or now - self._loaded_at > KEYS_MAX_AGE

    def _refresh(self, now: datetime) -> None:
        try:
            keys = parse_jwks(self._fetch(self.url))
        except (requests.RequestException, ValueError) as error:
            self._next_fetch_allowed = now + FAILED_FETCH_RETRY
            logger.warning(
                "fetching signing keys from %s failed (%s)", self.url, type(error).__name__
            )
            if self._loaded_at is None:
                raise UpstreamUnavailable(
                    "Microsoft's signing keys are unavailable; try again"
                ) from None
            return  # keep trusting the keys we have until Entra answers again
        self._keys = keys
        self._loaded_at = now
        self._next_fetch_allowed = now + UNKNOWN_KID_REFRESH
        logger.info("loaded %d signing keys from %s", len(keys), self.url)


@dataclass(frozen=True)
class StaticKeys:
    """A fixed set of keys (the local issuer's, or a test's)."""

    keys: Mapping[str, jwt.PyJWK]

    def signing_key(self, kid: str) -> jwt.PyJWK | None:
        return self.keys.get(kid)


@dataclass(frozen=True)
class KeyChain:
    """Several key sources, asked in order (local mode: the local issuer, then Entra)."""

    sources: tuple[KeySource, ...]

    def signing_key(self, kid: str) -> jwt.PyJWK | None:
        for source in self.sources:
            key = source.signing_key(kid)
            if key is not None:
                return key
        return None


@dataclass(frozen=True)
class TokenRules:
    """What a token must satisfy beyond a valid RS256 signature from a trusted key."""

    audience: Callable[[str], bool]
    # Token versions (the `ver` claim) accepted, each with its issuer template.
    versions: frozenset[str] = frozenset({"2.0"})
    # The nonce the token must carry (id tokens of a sign-in flow).
    nonce: str | None = None
    # Claims that must be present and non-empty strings.
    required: tuple[str, ...] = ("oid",)


def verify_token(
    token: str, keys: KeySource, rules: TokenRules, *, now: datetime
) -> dict[str, Any]:
    """The claims of a token that passes every rule; InvalidToken naming the first failure."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the token is malformed")
    if _COMPACT_JWS.fullmatch(token) is None:
        raise InvalidToken("the token is malformed")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise InvalidToken("the token is malformed") from None
    # Only RS256: `none` and HMAC (which could be "signed" with our own public key) are refused
    # before any key is looked up.
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("the token's signing algorithm is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 256:
        raise InvalidToken("the token names no signing key")
    key = keys.signing_key(kid)
    if key is None:
        raise InvalidToken("the token was signed by an unknown key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[ALGORITHM],
            # The signature is PyJWT's to check; the claims are checked below, against the
            # service's clock and Entra's per-tenant issuer rule.
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise InvalidToken("the token's signature is not valid") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise InvalidToken("the token is malformed") from None
    if not isinstance(claims, dict):
        raise InvalidToken("the token is malformed")
    _check_lifetime(claims, now)
    _check_issuer(claims, rules.versions)
    audience = claims.get("aud")
    if not isinstance(audience, str) or not rules.audience(audience):
        raise InvalidToken("the token is not meant for this service")
    if rules.nonce is not None:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), rules.nonce.encode()
        ):
            raise InvalidToken("the token does not belong to this sign-in")
    for name in rules.required:
        value = claims.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidToken(f"the token has no '{name}' claim")
    if not is_guid(claims.get("oid")):
        raise InvalidToken("the token's object id is not a GUID")
    return claims


def _check_lifetime(claims: Mapping[str, Any], now: datetime) -> None:
    moment = now.timestamp()
    leeway = LEEWAY.total_seconds()
    expires = _numeric(claims, "exp", required=True)
    issued = _numeric(claims, "iat", required=True)
    not_before = _numeric(claims, "nbf", required=False)
    if expires is not None and moment > expires + leeway:
        raise InvalidToken("the token has expired")
    if not_before is not None and moment < not_before - leeway:
        raise InvalidToken("the token is not valid yet")
    if issued is not None and moment < issued - leeway:
        raise InvalidToken("the token was issued in the future")


def _numeric(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidToken(f"the token's '{name}' claim is missing or not a number")
    return float(value)


def _check_issuer(claims: Mapping[str, Any], versions: Iterable[str]) -> None:
    """Multi-tenant rule: the issuer is Entra's for the tenant the token itself names."""
    tenant = claims.get("tid")
    if not is_guid(tenant):
        raise InvalidToken("the token's tenant id is not a GUID")
    version = claims.get("ver")
    if not isinstance(version, str) or version not in versions or version not in ISSUERS:
        raise InvalidToken("the token's version is not accepted")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or issuer != ISSUERS[version].format(tid=tenant):
        raise InvalidToken("the token's issuer is not accepted")


def email_claim(claims: Mapping[str, Any], names: Iterable[str]) -> str | None:
    """The first of the named claims that holds a valid email address, normalized."""
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            try:
                return normalize_email(value)
            except ValueError:
                continue
    return None


# The tenant of personal Microsoft accounts (outlook.com, hotmail.com, ...).
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
# Claims that may name a member's address: a tenant admits only its verified domains (or
# onmicrosoft.com) as the suffix of its members' sign-in names.
MEMBER_ADDRESS_CLAIMS = ("preferred_username", "upn")


def _claim_true(value: object) -> bool:
    return value is True or value in ("true", "True", "1", 1)


def _tenant_of(issuer: object) -> str | None:
    if not isinstance(issuer, str):
        return None
    for template in ISSUERS.values():
        prefix, _, suffix = template.partition("{tid}")
        if issuer.startswith(prefix) and issuer.endswith(suffix):
            return issuer[len(prefix) : len(issuer) - len(suffix)] or None
    return None


def is_guest(claims: Mapping[str, Any]) -> bool:
    """A guest of the token's tenant (`acct` 1, or an identity provider other than the
    issuer: the user's home tenant is not the one that issued the token), or a personal
    Microsoft account."""
    if claims.get("acct") in (1, "1"):
        return True
    if claims.get("tid") == CONSUMER_TENANT:
        return True
    idp = claims.get("idp")
    if idp is not None and idp != claims.get("iss"):
        return _tenant_of(idp) != claims.get("tid")
    return False


def verified_email(claims: Mapping[str, Any]) -> str:
    """The address of a checked token's user, from verified claims only (the "nOAuth" rule).

    `email` counts only when the token says its domain's owner was verified (`xms_edov`, an
    optional claim of the app registration): anyone can type any address into `email`. Without
    it, a member's `preferred_username` or `upn` (a sign-in name within the tenant's verified
    domains). A guest or personal account has no such name: without a verified `email` it is
    refused. https://learn.microsoft.com/entra/identity-platform/migrate-off-email-claim-authorization
    """
    if _claim_true(claims.get("xms_edov")):
        address = email_claim(claims, ("email",))
        if address is not None:
            return address
    if is_guest(claims):
        raise InvalidToken(
            "the token is a guest's or a personal account's without a verified email address "
            "(the app registration's optional claims email and xms_edov)"
        )
    address = email_claim(claims, MEMBER_ADDRESS_CLAIMS)
    if address is None:
        raise InvalidToken("the token names no verified email address")
    return address


def display_name(value: object) -> str | None:
    """A token's `name` as plain text of at most 200 characters, or none: it is shown in the
    portal and written to activity, so a name with control or bidi characters is dropped."""
    if not isinstance(value, str):
        return None
    try:
        name = plain_text(value)[:200].strip()
    except ValueError:
        return None
    return name or None


def entra_keys(services: Services) -> KeySource:
    """Entra's signing keys, fetched once per process (tests hand in their own)."""
    return services.gateway(ENTRA_KEYS_GATEWAY, _build_entra_keys)


def _build_entra_keys(services: Services) -> KeySource:
    return JwksCache(ENTRA_JWKS_URL, clock=services.clock)
