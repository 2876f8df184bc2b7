"""Portal sign-in with Microsoft Entra ID: MSAL's auth-code flow with PKCE.

The flow MSAL starts (state, nonce, PKCE verifier) stays in Table Storage under the hash of a
random id; the browser holds only that id, in a short-lived cookie, so nothing the browser
sends back is trusted as flow state. MSAL no longer validates id tokens: the one the token
endpoint returns is checked by `entra_tokens.verify_token` before a session starts.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msal
from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import UpdateMode
from msal.exceptions import MsalError

from shared.errors import BadRequest, InvalidToken, Problem, UpstreamUnavailable
from shared.identity.entra_tokens import (
    TokenRules,
    display_name,
    entra_keys,
    verified_email,
    verify_token,
)
from shared.identity.sessions import SignedInUser, cookie_header
from shared.services import Services
from shared.storage.clients import SESSIONS_TABLE
from shared.subscriptions.limits import TooManyRequests
from shared.tokens import new_token, plausible_token, token_hash

logger = logging.getLogger(__name__)

MSAL_GATEWAY = "entra_sign_in"
SIGN_IN_COOKIE = "smm_signin"
# Sent back only to the callback, never to the rest of the API.
SIGN_IN_COOKIE_PATH = "/api/auth"
SIGN_IN_ROW = "signin"
FLOW_LIFETIME = timedelta(minutes=10)
# Each sign-in started writes a row, for anyone: no more than this many a minute from one
# client address (a company behind one NAT address signs in at 9 o'clock, too).
SIGN_INS_PER_CLIENT_A_MINUTE = 10
SIGN_IN_RATE_ROW = "signinrate"
SIGN_IN_RATE_LIFETIME = timedelta(minutes=2)
CALLBACK_PATH = "/api/auth/callback"
# MSAL adds `openid` and `profile` itself and refuses them as input; `email` is asked for
# explicitly. `offline_access` is excluded: the portal needs to know who signed in, not to
# act on the user's behalf later, so no refresh token is ever issued.
SCOPES = ["email"]
EXCLUDED_SCOPES = ["offline_access"]
MAX_NEXT_LENGTH = 2048

_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")
_AADSTS = re.compile(r"\bAADSTS\d{4,7}\b")


class SignInNotConfigured(Problem):
    status, code, title = 503, "sign_in_not_configured", "Sign-in is not configured"


class SignInFailed(Problem):
    status, code, title = 401, "sign_in_failed", "Sign-in failed"


class _DiscardingTokenCache(msal.TokenCache):  # type: ignore[misc]
    """The portal needs the user's identity once, not their tokens: MSAL keeps none of them.

    MSAL's default in-memory cache would otherwise hold every user's tokens for the life of
    the process.
    """

    def add(self, event: Any, now: Any = None) -> None:
        return None


def sign_in_configured(services: Services) -> bool:
    settings = services.settings
    return bool(settings.entra_client_id and settings.entra_client_secret)


def sign_in_app(services: Services) -> Any:
    """The MSAL application, built once per process (its construction fetches Entra's metadata)."""
    if not sign_in_configured(services):
        detail = "ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET are not set"
        if services.settings.dev_mode:
            detail += "; in local mode sign in with POST /api/dev/login"
        raise SignInNotConfigured(detail)
    return services.gateway(MSAL_GATEWAY, _build_sign_in_app)


def _build_sign_in_app(services: Services) -> Any:
    settings = services.settings
    assert settings.entra_client_id and settings.entra_client_secret
    try:
        return msal.ConfidentialClientApplication(
            settings.entra_client_id,
            client_credential=settings.entra_client_secret.get_secret_value(),
            authority=settings.entra_authority,
            exclude_scopes=EXCLUDED_SCOPES,
            token_cache=_DiscardingTokenCache(),
        )
    except (ValueError, OSError, MsalError) as error:
        logger.warning("Entra's metadata could not be read (%s)", type(error).__name__)
        raise UpstreamUnavailable("Microsoft sign-in is unavailable; try again") from None


def safe_next(value: str | None) -> str:
    """A same-site path to return to after sign-in; BadRequest naming `next` otherwise.

    Only a path that starts with one '/' is accepted: '//host' and '/\\host' are read by
    browsers as another site, and control characters are dropped by them before parsing.
    """
    if value is None or value == "":
        return "/"
    problem = None
    if len(value) > MAX_NEXT_LENGTH:
        problem = f"must be at most {MAX_NEXT_LENGTH} characters"
    elif not value.startswith("/") or value.startswith("//"):
        problem = "must be a path on this site, starting with a single '/'"
    elif "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        problem = "must not contain backslashes, spaces or control characters"
    else:
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            problem = "must be a path on this site, not an address"
    if problem is not None:
        raise BadRequest(
            f"next {problem}",
            code="invalid_next",
            errors=[{"field": "next", "message": problem}],
        )
    return value


@dataclass(frozen=True)
class SignInStart:
    authorize_url: str
    # The value of the sign-in cookie: the only handle the browser gets on the flow.
    flow_id: str


def redirect_uri(services: Services) -> str:
    return services.settings.portal_origin + CALLBACK_PATH


def client_address(headers: Mapping[str, str]) -> str:
    """The caller's IP address as Azure's front end reports it: the last X-Forwarded-For entry
    (the one it appended; earlier ones are the client's own say), without its port."""
    forwarded = (headers.get("x-forwarded-for") or "").split(",")[-1].strip()
    if forwarded.startswith("["):
        return forwarded[1 : forwarded.find("]")] or "unknown"
    if forwarded.count(":") == 1:
        forwarded = forwarded.partition(":")[0]
    return forwarded[:64] or "unknown"


def _count_sign_in(services: Services, client: str) -> None:
    """One more sign-in started by the client this minute; 429 beyond the limit."""
    now = services.clock()
    key = token_hash(f"{client}|{now:%Y-%m-%dT%H:%M}")
    table = services.storage.table(SESSIONS_TABLE)
    refused = TooManyRequests(
        "too many sign-ins were started from this address; wait a minute",
        retry_after=60 - now.second,
    )
    for _ in range(SIGN_INS_PER_CLIENT_A_MINUTE):
        try:
            row = table.get_entity(key, SIGN_IN_RATE_ROW)
        except ResourceNotFoundError:
            try:
                table.create_entity(
                    {
                        "PartitionKey": key,
                        "RowKey": SIGN_IN_RATE_ROW,
                        "count": 1,
                        "expires_at": now + SIGN_IN_RATE_LIFETIME,
                    }
                )
                return
            except ResourceExistsError:
                continue
        if int(row.get("count", 0)) >= SIGN_INS_PER_CLIENT_A_MINUTE:
            raise refused
        try:
            table.update_entity(
                {"PartitionKey": key, "RowKey": SIGN_IN_RATE_ROW, "count": int(row["count"]) + 1},
                mode=UpdateMode.MERGE,
                etag=row.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return
        except ResourceModifiedError:
            continue
    raise refused  # a burst from one address that keeps racing itself


def begin_sign_in(
    services: Services, next_path: str | None, client: str = "unknown"
) -> SignInStart:
    """Start the auth-code flow (PKCE, state, nonce) and keep it server-side for 10 minutes.

    `client` is the caller's address (`client_address`): each may start only
    SIGN_INS_PER_CLIENT_A_MINUTE a minute, since each start writes a row."""
    target = safe_next(next_path)
    app = sign_in_app(services)
    _count_sign_in(services, client)
    flow: dict[str, Any] = app.initiate_auth_code_flow(
        SCOPES, redirect_uri=redirect_uri(services), prompt="select_account"
    )
    flow_id = new_token()
    now = services.clock()
    services.storage.table(SESSIONS_TABLE).create_entity(
        {
            "PartitionKey": token_hash(flow_id),
            "RowKey": SIGN_IN_ROW,
            "flow": json.dumps(flow),
            "next": target,
            "created_at": now,
            "expires_at": now + FLOW_LIFETIME,
        }
    )
    return SignInStart(authorize_url=flow["auth_uri"], flow_id=flow_id)


@dataclass(frozen=True)
class SignInResult:
    user: SignedInUser
    next_path: str


def complete_sign_in(
    services: Services, flow_id: str | None, auth_response: dict[str, str]
) -> SignInResult:
    """Redeem the code of Microsoft's answer and check the id token; the flow is used up."""
    row = _take_flow(services, flow_id)
    flow: dict[str, Any] = json.loads(row["flow"])
    if auth_response.get("error"):
        raise SignInFailed(_entra_error_detail(auth_response))
    state = auth_response.get("state") or ""
    if not hmac.compare_digest(state.encode(), str(flow.get("state", "")).encode()):
        raise BadRequest(
            "this answer does not belong to the sign-in started in this browser; start again",
            code="sign_in_state_mismatch",
        )
    if not auth_response.get("code"):
        raise BadRequest("Microsoft's answer carries no authorization code", code="missing_code")
    claims = _redeem(services, flow, auth_response)
    user = SignedInUser(
        tenant_id=claims["tid"],
        object_id=claims["oid"],
        email=verified_email(claims),
        name=display_name(claims.get("name")),
    )
    return SignInResult(user=user, next_path=safe_next(row.get("next")))


def _take_flow(services: Services, flow_id: str | None) -> dict[str, Any]:
    """The stored flow of this browser, claimed and deleted so it serves one answer only."""
    not_started = BadRequest(
        "no sign-in is in progress in this browser; start again at /api/auth/login",
        code="sign_in_not_started",
    )
    if not flow_id or not plausible_token(flow_id):
        raise not_started
    table = services.storage.table(SESSIONS_TABLE)
    key = token_hash(flow_id)
    try:
        row = table.get_entity(key, SIGN_IN_ROW)
        if row.get("used"):
            raise not_started
        # Claimed with the ETag: of two requests racing with one answer, one wins. (A delete
        # cannot be the claim: the SDK reports deleting a missing row as a success.)
        table.update_entity(
            {"PartitionKey": key, "RowKey": SIGN_IN_ROW, "used": True},
            mode=UpdateMode.MERGE,
            etag=row.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    except (ResourceNotFoundError, ResourceModifiedError):
        # Unknown, or another request took it first: either way, not this request's to use.
        raise not_started from None
    table.delete_entity(key, SIGN_IN_ROW)
    expires_at: datetime = row["expires_at"]
    if services.clock() > expires_at:
        raise BadRequest("the sign-in took too long; start again", code="sign_in_expired")
    return dict(row)


def _redeem(
    services: Services, flow: dict[str, Any], auth_response: dict[str, str]
) -> dict[str, Any]:
    app = sign_in_app(services)
    try:
        result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    except (OSError, MsalError) as error:
        # Unreachable, or a 5xx (which MSAL raises as MsalServiceError).
        logger.warning("Entra's token endpoint did not answer (%s)", type(error).__name__)
        raise UpstreamUnavailable("Microsoft sign-in is unavailable; try again") from None
    except RuntimeError:
        # MSAL's own nonce comparison; its message would echo the nonce, so it is dropped.
        raise InvalidToken("the token does not belong to this sign-in") from None
    except (ValueError, TypeError, KeyError, IndexError) as error:
        logger.warning("Entra's token answer could not be read (%s)", type(error).__name__)
        raise SignInFailed("Microsoft's answer could not be read; try again") from None
    if not isinstance(result, dict):
        raise SignInFailed("Microsoft's answer could not be read; try again")
    if "error" in result:
        code = str(result.get("error"))
        logger.info("Entra refused the authorization code: %s", code[:64])
        raise SignInFailed(_entra_error_detail(result))
    id_token = result.get("id_token")
    if not isinstance(id_token, str):
        raise InvalidToken("Microsoft's answer carries no id token")
    client_id = services.settings.entra_client_id
    rules = TokenRules(
        audience=lambda audience: audience == client_id,
        nonce=_sent_nonce(flow),
    )
    return verify_token(id_token, entra_keys(services), rules, now=services.clock())


def _sent_nonce(flow: dict[str, Any]) -> str:
    """The nonce exactly as the authorization request carried it to Entra."""
    values = parse_qs(urlsplit(str(flow.get("auth_uri", ""))).query).get("nonce")
    if not values or not values[0]:
        raise InvalidToken("the sign-in carried no nonce")
    return values[0]


def _entra_error_detail(answer: dict[str, Any]) -> str:
    """Microsoft's error code (and AADSTS number) without echoing anything else it sent."""
    error = str(answer.get("error", ""))
    code = error if _ERROR_CODE.fullmatch(error) else "unknown_error"
    detail = f"Microsoft did not sign you in ({code}"
    aadsts = _AADSTS.search(str(answer.get("error_description", "")))
    if aadsts:
        detail += f", {aadsts.group(0)}"
    return detail + ")"


def sign_in_cookie(flow_id: str, *, secure: bool) -> str:
    return _cookie(flow_id, int(FLOW_LIFETIME.total_seconds()), secure=secure)


def cleared_sign_in_cookie(*, secure: bool) -> str:
    return _cookie("", 0, secure=secure)


def _cookie(value: str, max_age: int, *, secure: bool) -> str:
    # SameSite=Lax: Microsoft sends the browser back with a top-level GET (response_mode
    # query), which carries Lax cookies; the answer holds only a PKCE-bound code, never a token.
    return cookie_header(SIGN_IN_COOKIE, value, max_age, path=SIGN_IN_COOKIE_PATH, secure=secure)
