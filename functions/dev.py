"""Local-mode routes (DEV_MODE): sign-in and add-in tokens without Microsoft, the local mailbox."""

from __future__ import annotations

from uuid import UUID

import azure.functions as func
from pydantic import BaseModel

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.email.gateway import email_sender
from shared.email.senders import MailboxSender
from shared.errors import NotFound
from shared.identity.addin_tokens import local_addin_audience
from shared.identity.local_issuer import local_addin_token
from shared.identity.local_users import local_user
from shared.identity.sessions import session_cookie, start_session
from shared.timefmt import Timestamp
from shared.validation import EmailAddress, StrictModel, name_type

bp = func.Blueprint()


UserName = name_type(200)


class DevLogin(StrictModel):
    email: EmailAddress
    name: UserName | None = None


class DevToken(StrictModel):
    email: EmailAddress
    # The user's Microsoft 365 tenant; by default one per email domain, as local sign-in uses.
    tenant_id: UUID | None = None


class AddinToken(BaseModel):
    token: str


class MailboxQuery(BaseModel):
    to: EmailAddress | None = None


class MailboxEmail(BaseModel):
    id: str
    to: str
    subject: str
    text: str
    html: str
    sent_at: Timestamp


class Mailbox(BaseModel):
    items: list[MailboxEmail]


@bp.route(route="api/dev/login", methods=["POST"])
@endpoint(
    summary="Local mode: sign in as any address",
    auth=Auth.PUBLIC,
    body=DevLogin,
    status=204,
    headers={"Set-Cookie": "the session cookie"},
)
def dev_login(request: ApiRequest) -> Reply:
    """Start a session as if signed in with Microsoft."""
    body: DevLogin = request.body
    session_id = start_session(request.services, local_user(body.email, body.name))
    secure = not request.services.settings.origin_is_plain_http
    return Reply(status=204, cookies=[session_cookie(session_id, secure=secure)])


@bp.route(route="api/dev/token", methods=["POST"])
@endpoint(
    summary="Local mode: an add-in token from the local issuer",
    auth=Auth.PUBLIC,
    body=DevToken,
    response=AddinToken,
)
def issue_dev_token(request: ApiRequest) -> AddinToken:
    """A token shaped as Entra's, checked by the same validator as Entra's."""
    body: DevToken = request.body
    services = request.services
    tenant_id = str(body.tenant_id) if body.tenant_id else None
    token = local_addin_token(services, local_addin_audience(services), body.email, tenant_id)
    return AddinToken(token=token)


@bp.route(route="api/dev/emails", methods=["GET"])
@endpoint(
    summary="Local mode: the local mailbox",
    auth=Auth.PUBLIC,
    query=MailboxQuery,
    response=Mailbox,
    errors={404: ("not_found",)},
)
def list_dev_emails(request: ApiRequest) -> Mailbox:
    """What the email sender delivered to the local mailbox."""
    sender = email_sender(request.services)
    if not isinstance(sender, MailboxSender):
        raise NotFound("emails go to Communication Services; there is no local mailbox")
    query: MailboxQuery = request.query
    return Mailbox(items=[MailboxEmail.model_validate(row) for row in sender.messages(query.to)])
