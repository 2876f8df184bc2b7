"""Local mode's stand-in for Entra ID: stable tenant and object ids derived from an email."""

from __future__ import annotations

import uuid

from shared.identity.sessions import SignedInUser

_LOCAL_NAMESPACE = uuid.UUID("5b0c7f5e-8f7a-4e43-9d8e-7c1f2b9a0d11")


def local_user(email: str, name: str | None = None) -> SignedInUser:
    """Every address of one domain shares a tenant, as it would in Microsoft 365."""
    domain = email.rsplit("@", 1)[1]
    return SignedInUser(
        tenant_id=str(uuid.uuid5(_LOCAL_NAMESPACE, f"tenant:{domain}")),
        object_id=str(uuid.uuid5(_LOCAL_NAMESPACE, f"user:{email}")),
        email=email,
        name=name,
    )
