"""The admin-consent link for organizations whose users see "Need admin approval" in the add-in.

https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from shared.identity.addin_tokens import AddinNotConfigured
from shared.identity.entra_tokens import is_guid
from shared.services import Services

ADMIN_CONSENT_URL = "https://login.microsoftonline.com/{tenant}/v2.0/adminconsent"
# Every permission configured on the add-in's app registration.
CONSENT_SCOPE = "https://graph.microsoft.com/.default"
# Entra's aliases for "any tenant": an administrator consents for one organization only.
TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LEVEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def normalize_tenant(value: str) -> str:
    """A tenant id (GUID) or a domain name, lower-cased; ValueError otherwise."""
    candidate = value.strip().lower()
    if candidate in TENANT_ALIASES:
        raise ValueError("must name one organization (its tenant id or a domain), not an alias")
    if is_guid(candidate):
        return candidate
    labels = candidate.split(".")
    if (
        len(candidate) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TOP_LEVEL.fullmatch(labels[-1])
    ):
        return candidate
    raise ValueError("must be a tenant id (GUID) or a domain name such as contoso.com")


def admin_consent_url(services: Services, tenant: str) -> str:
    """Where an administrator of `tenant` grants the add-in's permissions for everyone."""
    client_id = services.settings.addin_client_id
    if not client_id:
        raise AddinNotConfigured("ADDIN_CLIENT_ID is not set: there is no app to consent to")
    query = urlencode(
        {
            "client_id": client_id,
            "scope": CONSENT_SCOPE,
            "redirect_uri": services.settings.portal_origin + "/",
        }
    )
    return ADMIN_CONSENT_URL.format(tenant=normalize_tenant(tenant)) + "?" + query
