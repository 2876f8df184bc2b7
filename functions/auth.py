"""Sign-in with Microsoft, sign-out, the signed-in user, and the add-in's admin-consent link."""

from __future__ import annotations

import logging
from typing import Annotated

import azure.functions as func
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.admins.invitations import PendingInvitation, pending_invitations_for
from shared.identity.admin_consent import admin_consent_url, normalize_tenant
from shared.identity.entra import (
    MAX_NEXT_LENGTH,
    SIGN_IN_COOKIE,
    begin_sign_in,
    cleared_sign_in_cookie,
    client_address,
    complete_sign_in,
    sign_in_cookie,
)
from shared.identity.principal import PrincipalKind
from shared.identity.sessions import (
    cleared_session_cookie,
    end_session,
    session_cookie,
    start_session,
)
from shared.identity.sweep import sweep_expired
from shared.services import get_services
from shared.subscriptions.listing import reachable_subscriptions
from shared.subscriptions.views import SubscriptionView

logger = logging.getLogger(__name__)

bp = func.Blueprint()

# Microsoft's answer carries a code of about a kilobyte; anything far larger is refused.
MAX_PARAMETER_LENGTH = 8192


# What safe_next accepts: a path on this site (one leading '/'), no backslash, blank or control.
_NOT_IN_PATH = r"\\\u0000-\u0020\u007f"
NEXT_PATTERN = f"^(?:/|/[^/{_NOT_IN_PATH}][^{_NOT_IN_PATH}]*)?$"


class LoginQuery(BaseModel):
    # Checked by the sign-in itself, so a bad value is a 400 `invalid_next` naming `next`; the
    # document carries the same rule.
    next: str | None = Field(
        default=None,
        json_schema_extra={"maxLength": MAX_NEXT_LENGTH, "pattern": NEXT_PATTERN},
    )


class CallbackQuery(BaseModel):
    """Microsoft's answer (response_mode=query); other parameters are ignored."""

    model_config = ConfigDict(extra="ignore")

    code: str | None = Field(default=None, max_length=MAX_PARAMETER_LENGTH)
    state: str | None = Field(default=None, max_length=MAX_PARAMETER_LENGTH)
    session_state: str | None = Field(default=None, max_length=MAX_PARAMETER_LENGTH)
    client_info: str | None = Field(default=None, max_length=MAX_PARAMETER_LENGTH)
    error: str | None = Field(default=None, max_length=MAX_PARAMETER_LENGTH)
    error_description: str | None = Field(default=None, max_length=MAX_PARAMETER_LENGTH)


class Me(BaseModel):
    email: str
    name: str | None
    subscriptions: list[SubscriptionView]
    invitations: list[PendingInvitation]


# A tenant id (GUID, any case) or a domain name of the organization, as normalize_tenant takes.
_GUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_DOMAIN = (
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})"
)
# Surrounding blanks are forgiven (normalize_tenant trims).
TENANT_PATTERN = rf"^\s*(?:{_GUID}|{_DOMAIN})\s*$"


class AdminConsentQuery(BaseModel):
    tenant: Annotated[
        str,
        StringConstraints(max_length=253, pattern=TENANT_PATTERN),
        AfterValidator(normalize_tenant),
    ]


SIGN_IN_STARTED = {
    "Location": "Microsoft's sign-in page",
    "Set-Cookie": "the sign-in's own cookie, for the callback",
}
SIGNED_IN = {"Location": "`next` on the portal", "Set-Cookie": "the session cookie"}


def _secure(request: ApiRequest) -> bool:
    return not request.services.settings.origin_is_plain_http


@bp.route(route="api/auth/login", methods=["GET"])
@endpoint(
    summary="Sign in with Microsoft (work accounts): redirects to Microsoft",
    auth=Auth.PUBLIC,
    query=LoginQuery,
    status=302,
    headers=SIGN_IN_STARTED,
    errors={
        400: ("invalid_next",),
        429: ("too_many_requests",),
        503: ("sign_in_not_configured", "upstream_unavailable"),
    },
)
def sign_in(request: ApiRequest) -> Reply:
    """Start the auth-code flow with PKCE and send the browser to Microsoft."""
    query: LoginQuery = request.query
    start = begin_sign_in(request.services, query.next, client_address(request.raw.headers))
    return Reply(
        status=302,
        headers={"Location": start.authorize_url},
        cookies=[sign_in_cookie(start.flow_id, secure=_secure(request))],
    )


@bp.route(route="api/auth/callback", methods=["GET"])
@endpoint(
    summary="Microsoft's answer: completes sign-in, sets the session cookie, redirects to next",
    auth=Auth.PUBLIC,
    query=CallbackQuery,
    status=302,
    headers=SIGNED_IN,
    errors={
        400: ("sign_in_not_started", "sign_in_state_mismatch", "missing_code", "sign_in_expired"),
        401: ("sign_in_failed",),
        503: ("sign_in_not_configured", "upstream_unavailable"),
    },
)
def complete_sign_in_callback(request: ApiRequest) -> Reply:
    """Redeem the code, check the id token and start a session."""
    query: CallbackQuery = request.query
    answer = {name: value for name, value in query.model_dump().items() if value is not None}
    services = request.services
    result = complete_sign_in(services, request.cookie(SIGN_IN_COOKIE), answer)
    if request.principal.kind is PrincipalKind.USER:
        # A new sign-in replaces whatever session this browser had.
        end_session(services, request.principal)
    session_id = start_session(services, result.user)
    logger.info("signed in a user of tenant %s", result.user.tenant_id)
    secure = _secure(request)
    return Reply(
        status=302,
        headers={"Location": services.settings.portal_origin + result.next_path},
        cookies=[session_cookie(session_id, secure=secure), cleared_sign_in_cookie(secure=secure)],
    )


@bp.route(route="api/auth/logout", methods=["POST"])
@endpoint(
    summary="Sign out: ends the session",
    auth=Auth.PUBLIC,
    status=204,
    headers={"Set-Cookie": "clears the session cookie"},
)
def sign_out(request: ApiRequest) -> Reply:
    """End the session on the server, if any, and clear the cookie.

    Idempotent: a browser holding a cookie whose session already ended is signed out too,
    rather than told it is not signed in.
    """
    if request.principal.kind is PrincipalKind.USER:
        end_session(request.services, request.principal)
    return Reply(status=204, cookies=[cleared_session_cookie(secure=_secure(request))])


@bp.route(route="api/me", methods=["GET"])
@endpoint(summary="The signed-in user", auth=Auth.USER, response=Me)
def get_me(request: ApiRequest) -> Me:
    """Who is signed in, what they can reach and the invitations waiting for them."""
    principal = request.principal
    assert principal.email is not None
    return Me(
        email=principal.email,
        name=principal.name,
        subscriptions=list(reachable_subscriptions(request.services, principal)),
        invitations=list(pending_invitations_for(request.services, principal.email)),
    )


@bp.route(route="api/admin-consent", methods=["GET"])
@endpoint(
    summary="Redirects an organization's administrator to consent to the add-in",
    auth=Auth.PUBLIC,
    query=AdminConsentQuery,
    status=302,
    headers={"Location": "Entra's admin-consent page for the add-in's app"},
    errors={503: ("not_configured",)},
)
def redirect_to_admin_consent(request: ApiRequest) -> Reply:
    """302 to Entra's v2.0 admin-consent page for the add-in's app."""
    query: AdminConsentQuery = request.query
    return Reply(
        status=302, headers={"Location": admin_consent_url(request.services, query.tenant)}
    )


@bp.timer_trigger(arg_name="timer", schedule="0 17 * * * *", run_on_startup=False)
def sweep_sessions(timer: func.TimerRequest) -> None:
    """Delete the rows of ended sessions and abandoned sign-ins, hourly."""
    sweep_expired(get_services())
