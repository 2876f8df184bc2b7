"""Delegated administrators, invitations, API keys and ownership transfer."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import azure.functions as func
from pydantic import Field

from functions.http import ApiRequest, Auth, Reply, endpoint
from shared.admins import administrators, api_keys, invitations, transfer
from shared.admins.api_keys import ApiKeyList, CreatedApiKey
from shared.admins.invitations import InvitationDetails
from shared.admins.model import AdministratorList, AdministratorView, administrator_view
from shared.paging import PageQuery
from shared.subscriptions.access import authorize
from shared.subscriptions.model import Permission
from shared.subscriptions.views import SubscriptionView
from shared.validation import EmailAddress, StrictModel, name_type

bp = func.Blueprint()

ADMINS = "api/subscriptions/{subscription_id}/admins"
ADMIN = "api/subscriptions/{subscription_id}/admins/{admin_id}"
API_KEYS = "api/subscriptions/{subscription_id}/api-keys"
CONCURRENT = "concurrent_change"
INVALID_CURSOR = {400: ("invalid_cursor",)}
INVITATION_CLOSED = {410: ("invitation_expired", "invitation_used")}


class KeyPermission(StrEnum):
    """What an API key may hold: `billing` stays with people."""

    VIEW = "view"
    ASSIGN = "assign"
    QUANTITY = "quantity"


Permissions = Annotated[list[Permission], Field(min_length=1, max_length=len(Permission))]


class InviteAdministrator(StrictModel):
    email: EmailAddress
    permissions: Permissions


class ChangePermissions(StrictModel):
    permissions: Permissions


ApiKeyName = name_type(100)


class NewApiKey(StrictModel):
    name: ApiKeyName
    permissions: Annotated[list[KeyPermission], Field(min_length=1, max_length=len(KeyPermission))]


class TransferOwnership(StrictModel):
    email: EmailAddress


@bp.route(route=ADMINS, methods=["GET"])
@endpoint(
    summary="List the subscription's administrators and pending invitations",
    auth=Auth.MANAGER,
    query=PageQuery,
    response=AdministratorList,
    errors=INVALID_CURSOR,
)
def list_admins(request: ApiRequest) -> AdministratorList:
    """Administrators (`view`)."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id")
    )
    query: PageQuery = request.query
    return administrators.list_administrators(
        request.services, subscription.id, query.limit, query.cursor
    )


@bp.route(route=ADMINS, methods=["POST"])
@endpoint(
    summary="Invite an administrator by email",
    auth=Auth.MANAGER,
    body=InviteAdministrator,
    response=AdministratorView,
    status=201,
    errors={
        409: ("already_owner", "already_administrator", "subscription_not_active", CONCURRENT),
        429: ("too_many_requests",),
    },
)
def invite_admin(request: ApiRequest) -> AdministratorView:
    """Invite (owner): a pending administrator and an emailed single-use link."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    body: InviteAdministrator = request.body
    issued = administrators.invite(
        request.services, request.principal, subscription, body.email, set(body.permissions)
    )
    return administrator_view(issued.admin)


@bp.route(route=ADMIN, methods=["PATCH"])
@endpoint(
    summary="Change an administrator's permissions",
    auth=Auth.MANAGER,
    body=ChangePermissions,
    response=AdministratorView,
    errors={409: (CONCURRENT,)},
)
def change_admin(request: ApiRequest) -> AdministratorView:
    """Change permissions (owner)."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    body: ChangePermissions = request.body
    admin = administrators.change_permissions(
        request.services,
        request.principal,
        subscription,
        request.route("admin_id"),
        set(body.permissions),
    )
    return administrator_view(admin)


@bp.route(route=ADMIN, methods=["DELETE"])
@endpoint(
    summary="Remove an administrator or revoke a pending invitation",
    auth=Auth.MANAGER,
    status=204,
    errors={409: (CONCURRENT,)},
)
def remove_admin(request: ApiRequest) -> Reply:
    """Remove (the owner, or a delegate removing itself)."""
    subscription, access = authorize(
        request.services, request.principal, request.route("subscription_id")
    )
    administrators.remove(
        request.services, request.principal, subscription, access, request.route("admin_id")
    )
    return Reply(status=204)


@bp.route(route=ADMIN + "/resend", methods=["POST"])
@endpoint(
    summary="Send a pending invitation again with a new link",
    auth=Auth.MANAGER,
    status=202,
    errors={
        409: ("invitation_already_accepted", "subscription_not_active", CONCURRENT),
        429: ("too_many_requests",),
    },
)
def resend_invitation(request: ApiRequest) -> Reply:
    """Resend (owner): a new link; the previous one stops working."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    administrators.resend(
        request.services, request.principal, subscription, request.route("admin_id")
    )
    return Reply(status=202)


@bp.route(route="api/invitations/{token}", methods=["GET"])
@endpoint(
    summary="What an invitation link offers (no sign-in needed)",
    auth=Auth.PUBLIC,
    response=InvitationDetails,
    errors={404: ("not_found",), **INVITATION_CLOSED},
)
def get_invitation(request: ApiRequest) -> InvitationDetails:
    """The accept page's data; 404 unknown, 410 expired or used."""
    return invitations.invitation_details(request.services, request.route("token"))


@bp.route(route="api/invitations/{token}/accept", methods=["POST"])
@endpoint(
    summary="Accept an invitation as the signed-in user",
    auth=Auth.USER,
    response=SubscriptionView,
    errors={
        403: ("invitation_email_mismatch",),
        404: ("not_found",),
        409: ("already_owner", "already_administrator", CONCURRENT),
        **INVITATION_CLOSED,
    },
)
def accept_invitation(request: ApiRequest) -> SubscriptionView:
    """Accept: the signed-in account's email must be the invited one."""
    return invitations.accept(request.services, request.principal, request.route("token"))


@bp.route(route="api/me/invitations/{token_id}/accept", methods=["POST"])
@endpoint(
    summary="Accept one of the signed-in user's pending invitations by its id",
    auth=Auth.USER,
    response=SubscriptionView,
    errors={
        403: ("invitation_email_mismatch",),
        404: ("not_found",),
        409: ("already_owner", "already_administrator", CONCURRENT),
        **INVITATION_CLOSED,
    },
)
def accept_invitation_by_id(request: ApiRequest) -> SubscriptionView:
    """Accept from the dashboard: `token_id` as `/api/me` lists it, never the link's secret."""
    return invitations.accept_by_id(request.services, request.principal, request.route("token_id"))


@bp.route(route="api/subscriptions/{subscription_id}/transfer", methods=["POST"])
@endpoint(
    summary="Transfer ownership to an active administrator",
    auth=Auth.MANAGER,
    body=TransferOwnership,
    response=SubscriptionView,
    errors={409: ("already_owner", "not_an_administrator", "administrator_not_active", CONCURRENT)},
)
def transfer_ownership(request: ApiRequest) -> SubscriptionView:
    """Transfer (owner): the previous owner stays an administrator with every permission."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    body: TransferOwnership = request.body
    return transfer.transfer_ownership(
        request.services, request.principal, subscription.id, body.email
    )


@bp.route(route=API_KEYS, methods=["GET"])
@endpoint(
    summary="List the subscription's API keys",
    auth=Auth.MANAGER,
    query=PageQuery,
    response=ApiKeyList,
    errors=INVALID_CURSOR,
)
def list_api_keys(request: ApiRequest) -> ApiKeyList:
    """API keys (owner), with when each was last used."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    query: PageQuery = request.query
    return api_keys.list_keys(request.services, subscription.id, query.limit, query.cursor)


@bp.route(route=API_KEYS, methods=["POST"])
@endpoint(
    summary="Create an API key (the key is shown in this answer only)",
    auth=Auth.MANAGER,
    body=NewApiKey,
    response=CreatedApiKey,
    status=201,
)
def create_api_key(request: ApiRequest) -> CreatedApiKey:
    """Create a key (owner) with `view`, `assign` and/or `quantity`."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    body: NewApiKey = request.body
    return api_keys.create_key(
        request.services,
        request.principal,
        subscription,
        body.name,
        {Permission(p.value) for p in body.permissions},
    )


@bp.route(route=API_KEYS + "/{key_id}", methods=["DELETE"])
@endpoint(summary="Revoke an API key", auth=Auth.MANAGER, status=204, errors={409: (CONCURRENT,)})
def revoke_api_key(request: ApiRequest) -> Reply:
    """Revoke (owner): the key stops working on its next request."""
    subscription, _ = authorize(
        request.services, request.principal, request.route("subscription_id"), owner_only=True
    )
    api_keys.revoke_key(request.services, request.principal, subscription, request.route("key_id"))
    return Reply(status=204)
