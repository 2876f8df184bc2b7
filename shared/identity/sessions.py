"""Portal sessions: a random id in the cookie, only its hash in Table Storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.identity.principal import Principal, PrincipalKind
from shared.services import Services
from shared.settings import Settings
from shared.storage.clients import SESSIONS_TABLE
from shared.tokens import new_token, plausible_token, token_hash

SESSION_COOKIE = "smm_session"
# On an https origin the cookie carries the __Host- prefix: the browser then keeps it only when
# it is Secure, set by this very host, for Path=/, so a sibling subdomain or a plain-http page
# cannot plant one (https://developer.mozilla.org/docs/Web/HTTP/Cookies#cookie_prefixes).
HOST_SESSION_COOKIE = "__Host-" + SESSION_COOKIE
IDLE_TIMEOUT = timedelta(hours=8)
ABSOLUTE_TIMEOUT = timedelta(days=7)
# Recording activity on every request would double its storage cost; a few minutes of
# slack on an 8-hour idle limit is harmless.
ACTIVITY_RESOLUTION = timedelta(minutes=5)
SESSION_ROW = "session"


@dataclass(frozen=True)
class SignedInUser:
    tenant_id: str
    object_id: str
    email: str
    name: str | None = None


def start_session(services: Services, user: SignedInUser) -> str:
    """Create a session for the user and return the cookie value (shown only to the browser)."""
    session_id = new_token()
    now = services.clock()
    services.storage.table(SESSIONS_TABLE).create_entity(
        {
            "PartitionKey": token_hash(session_id),
            "RowKey": SESSION_ROW,
            "tenant_id": user.tenant_id,
            "object_id": user.object_id,
            "email": user.email,
            "name": user.name or "",
            "created_at": now,
            "last_active_at": now,
        }
    )
    return session_id


def resolve_session(services: Services, session_id: str) -> Principal | None:
    """The user of a live session, or None when the cookie is unknown, malformed or expired."""
    if not plausible_token(session_id):
        return None
    session_hash = token_hash(session_id)
    table = services.storage.table(SESSIONS_TABLE)
    try:
        row = table.get_entity(session_hash, SESSION_ROW)
    except ResourceNotFoundError:
        return None
    now = services.clock()
    created_at: datetime = row["created_at"]
    last_active_at: datetime = row["last_active_at"]
    if now - created_at > ABSOLUTE_TIMEOUT or now - last_active_at > IDLE_TIMEOUT:
        _delete(services, session_hash)
        return None
    if now - last_active_at > ACTIVITY_RESOLUTION:
        table.update_entity(
            {"PartitionKey": session_hash, "RowKey": SESSION_ROW, "last_active_at": now},
            mode=UpdateMode.MERGE,
        )
    return Principal(
        PrincipalKind.USER,
        email=row["email"],
        name=row.get("name") or None,
        tenant_id=row["tenant_id"],
        object_id=row["object_id"],
        session_hash=session_hash,
        via_cookie=True,
    )


def end_session(services: Services, principal: Principal) -> None:
    if principal.session_hash:
        _delete(services, principal.session_hash)


def _delete(services: Services, session_hash: str) -> None:
    services.storage.table(SESSIONS_TABLE).delete_entity(session_hash, SESSION_ROW)


def cookies_secure(settings: Settings) -> bool:
    """Secure everywhere but a plain-http loopback origin (127.0.0.1, localhost, [::1])."""
    return not settings.origin_is_plain_http


def session_cookie_name(*, secure: bool) -> str:
    """`__Host-smm_session` wherever the cookie is Secure (an https origin)."""
    return HOST_SESSION_COOKIE if secure else SESSION_COOKIE


def session_cookie(session_id: str, *, secure: bool) -> str:
    """The Set-Cookie value for a new session (Secure except on plain-http loopback)."""
    return _cookie(session_id, int(ABSOLUTE_TIMEOUT.total_seconds()), secure=secure)


def cleared_session_cookie(*, secure: bool) -> str:
    return _cookie("", 0, secure=secure)


def _cookie(value: str, max_age: int, *, secure: bool) -> str:
    name = session_cookie_name(secure=secure)
    return cookie_header(name, value, max_age, path="/", secure=secure)


class Cookies(dict[str, str]):
    """A request's cookies by name; `repeated` names those sent more than once (the first
    value is kept, but a caller must not trust either)."""

    repeated: frozenset[str] = frozenset()


def parse_cookies(header: str | None) -> Cookies:
    """The cookies of a Cookie header (RFC 6265 section 5.4), each read on its own: a
    malformed one is skipped without losing the others, as browsers send them."""
    cookies = Cookies()
    repeated: set[str] = set()
    for piece in (header or "").split(";"):
        name, equals, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if name in cookies:
            repeated.add(name)
            continue
        cookies[name] = value
    cookies.repeated = frozenset(repeated)
    return cookies


def cookie_header(name: str, value: str, max_age: int, *, path: str, secure: bool) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, and Secure unless on plain-http localhost."""
    attributes = [
        f"{name}={value}",
        f"Path={path}",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)
