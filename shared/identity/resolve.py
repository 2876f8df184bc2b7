"""Resolves the caller of a request from its headers, in one place for every handler."""

from __future__ import annotations

from collections.abc import Mapping

from shared.errors import Unauthenticated
from shared.identity.principal import ANONYMOUS, Principal
from shared.identity.sessions import (
    cookies_secure,
    resolve_session,
    session_cookie_name,
)
from shared.services import Services

API_KEY_PREFIX = "smk_"


def resolve_principal(
    services: Services, headers: Mapping[str, str], cookies: Mapping[str, str]
) -> Principal:
    """The principal a request speaks for; anonymous when it carries no credential.

    A credential that is present but wrong is an error, never a silent fall-back to
    anonymous, so a client learns its key or token is bad. The session cookie is the
    exception: the browser sends it unasked, so an ended session is anonymous, and routes
    open to anyone (sign-in above all) still answer; routes that need a user answer 401.
    """
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        if credential.startswith(API_KEY_PREFIX):
            return _api_key_principal(services, credential)
        return _addin_principal(services, credential)
    name = session_cookie_name(secure=cookies_secure(services.settings))
    if name in getattr(cookies, "repeated", ()):
        # Two session cookies: one may have been planted (by a sibling subdomain, say), and
        # choosing either could sign the user in as someone else.
        raise Unauthenticated(
            f"the {name} cookie was sent twice; sign out, or clear this site's cookies, "
            "and sign in again"
        )
    session_id = cookies.get(name)
    if session_id:
        return resolve_session(services, session_id) or ANONYMOUS
    return ANONYMOUS


def _api_key_principal(services: Services, key: str) -> Principal:
    from shared.identity import api_keys

    return api_keys.principal_for_key(services, key)


def _addin_principal(services: Services, token: str) -> Principal:
    from shared.identity import addin_tokens

    return addin_tokens.principal_for_token(services, token)
