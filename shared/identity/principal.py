"""Who is calling: one type that every handler receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"  # a portal user, signed in with a session cookie
    API_KEY = "api_key"  # a reseller's script, bound to one subscription
    ADDIN = "addin"  # the Outlook add-in, with an Entra-issued token


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    email: str | None = None
    name: str | None = None
    tenant_id: str | None = None
    object_id: str | None = None
    # Set for USER: the hash of the session id, so sign-out can end it.
    session_hash: str | None = None
    # Set for API_KEY: the one subscription it reaches and what it may do there.
    subscription_id: str | None = None
    key_id: str | None = None
    key_permissions: frozenset[str] = field(default_factory=frozenset)
    # True when the credential came from the session cookie (the Origin check applies).
    via_cookie: bool = False

    @property
    def user_id(self) -> str | None:
        """A person's stable identity: tenant id and object id, never the email."""
        if self.tenant_id and self.object_id:
            return f"{self.tenant_id}:{self.object_id}"
        return None

    @property
    def actor(self) -> str:
        """How the activity log names this caller."""
        if self.kind is PrincipalKind.API_KEY:
            return f"api-key:{self.key_id}"
        return self.email or self.kind.value


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS)
