"""Add-in tokens: Entra access tokens from Office SSO or nested app authentication.

The add-in asks Entra for a token for its own API (`api://…/<ADDIN_CLIENT_ID>/access_as_user`);
this module checks it with the shared validator and names the user it was issued to.
https://learn.microsoft.com/office/dev/add-ins/develop/sso-in-office-add-ins
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared.errors import Problem
from shared.identity.entra_tokens import (
    KeyChain,
    KeySource,
    TokenRules,
    display_name,
    entra_keys,
    verified_email,
    verify_token,
)
from shared.identity.local_issuer import local_issuer
from shared.identity.principal import Principal, PrincipalKind
from shared.services import Services

# The add-in's audience in local mode when ADDIN_CLIENT_ID is unset: a fixed, made-up app id.
LOCAL_ADDIN_CLIENT_ID = "00000000-0000-4000-8000-00000000add1"
LOCAL_ADDIN_AUDIENCE = f"api://localhost/{LOCAL_ADDIN_CLIENT_ID}"

# Checking a token (its RS256 signature and claims) costs more CPU than the license check's one
# storage request, and the add-in sends the same token with every check until it expires. A
# token that passed is remembered until it expires, but for at most VERIFIED_TOKEN_TTL, so that
# a signing key Entra withdraws soon stops vouching for tokens already seen.
VERIFIED_TOKENS_GATEWAY = "verified_addin_tokens"
VERIFIED_TOKEN_TTL = timedelta(minutes=10)
VERIFIED_TOKENS_MAX = 10_000


class VerifiedTokens:
    """Tokens that passed every check: the principal each names, and for which period."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Principal, datetime, datetime]] = {}

    def get(self, token: str, now: datetime) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, checked_at, until = entry
        if not checked_at <= now < until:
            return None
        return principal

    def remember(self, token: str, principal: Principal, now: datetime, until: datetime) -> None:
        if len(self._entries) >= VERIFIED_TOKENS_MAX:
            try:  # the oldest entry goes: dicts keep insertion order
                del self._entries[next(iter(self._entries))]
            except (KeyError, StopIteration, RuntimeError):
                pass  # another request made room meanwhile
        self._entries[token] = (principal, now, until)


class AddinNotConfigured(Problem):
    status, code, title = 503, "not_configured", "Not configured"


def addin_client_id(services: Services) -> str:
    """The add-in's app id: the audience its tokens must carry."""
    settings = services.settings
    if settings.addin_client_id:
        return settings.addin_client_id
    if settings.dev_mode:
        return LOCAL_ADDIN_CLIENT_ID
    raise AddinNotConfigured("ADDIN_CLIENT_ID is not set: add-in tokens cannot be checked")


def local_addin_audience(services: Services) -> str:
    """The audience local mode's issuer writes into its tokens: as Entra v2 writes it."""
    return services.settings.addin_client_id or LOCAL_ADDIN_AUDIENCE


def addin_audiences(services: Services) -> frozenset[str]:
    """The audiences an add-in token may carry: exactly the client id and the configured
    Application ID URI (`api://<client id>` when none is configured)."""
    client_id = addin_client_id(services)
    uri = services.settings.addin_app_id_uri
    if uri is None:
        uri = local_addin_audience(services) if not services.settings.addin_client_id else None
    return frozenset({client_id, uri or f"api://{client_id}"})


def audience_rule(accepted: frozenset[str]) -> Callable[[str], bool]:
    def accepts(audience: str) -> bool:
        return audience in accepted

    return accepts


def addin_keys(services: Services) -> KeySource:
    """Entra's keys; in local mode the local issuer's key first."""
    if services.settings.dev_mode:
        return KeyChain((local_issuer(services).keys, entra_keys(services)))
    return entra_keys(services)


def principal_for_token(services: Services, token: str) -> Principal:
    """The add-in user a bearer token speaks for; InvalidToken when any check fails."""
    now = services.clock()
    verified = services.gateway(VERIFIED_TOKENS_GATEWAY, lambda _: VerifiedTokens())
    known = verified.get(token, now)
    if known is not None:
        return known
    rules = TokenRules(
        audience=audience_rule(addin_audiences(services)),
        versions=frozenset({"1.0", "2.0"}),
        # An access token for a user carries delegated scopes; an id token, or an app-only
        # token, does not, and is not accepted in its place.
        required=("oid", "scp"),
    )
    claims = verify_token(token, addin_keys(services), rules, now=now)
    principal = Principal(
        PrincipalKind.ADDIN,
        email=verified_email(claims),
        name=display_name(claims.get("name")),
        tenant_id=claims["tid"],
        object_id=claims["oid"],
    )
    expires = datetime.fromtimestamp(float(claims["exp"]), UTC)
    verified.remember(token, principal, now, min(expires, now + VERIFIED_TOKEN_TTL))
    return principal
