"""Invitations of delegated administrators: the accept page, accepting, and `/api/me`'s list.

A link carries a single-use token; only its SHA-256 is stored, on the administrator row and
as the key of a directory pointer to that row. The row decides: a link whose hash is no longer
the row's (resent, or the invitation revoked) is unknown; an accepted one is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from azure.data.tables import TransactionOperation
from pydantic import BaseModel

from shared.admins.administrators import get_administrator
from shared.admins.model import (
    INVITATION_INDEX_ROW,
    Administrator,
    AdminStatus,
    invitation_index_key,
    invite_email_key,
    plausible_id,
)
from shared.admins.rows import delete_directory_row, directory_row, submit_changes
from shared.errors import Conflict, Forbidden, Gone, NotFound
from shared.identity.principal import Principal
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.subscriptions.access import Access, Role, delegate_permissions
from shared.subscriptions.activity import activity_row
from shared.subscriptions.memberships import add_membership
from shared.subscriptions.model import Subscription, sorted_permissions
from shared.subscriptions.store import get_subscription, replace_if_unchanged, retry_on_conflict
from shared.subscriptions.views import SubscriptionView, subscription_view
from shared.timefmt import Timestamp
from shared.tokens import hash_matches, plausible_token, token_hash
from shared.validation import normalize_email


class InvitationDetails(BaseModel):
    """What the accept page shows before sign-in."""

    subscription_name: str
    invited_by: str
    email: str
    permissions: list[str]
    expires_at: Timestamp


class PendingInvitation(BaseModel):
    """An invitation addressed to the signed-in user, as `GET /api/me` lists it.

    `token_id` is the administrator id, never the secret token of the link.
    """

    token_id: str
    subscription_id: str
    subscription_name: str
    invited_by: str
    permissions: list[str]
    expires_at: Timestamp


def find_invitation(services: Services, token: str) -> tuple[Subscription, Administrator]:
    """The invitation a link opens: 404 unknown, 410 `invitation_used` / `invitation_expired`."""
    admin = _locate(services, token)
    _ensure_open(services, admin)
    try:
        subscription = get_subscription(services, admin.subscription_id)
    except NotFound:
        raise NotFound("no such invitation") from None
    return subscription, admin


def _locate(services: Services, token: str) -> Administrator:
    """The administrator row whose current link this is; 404 for anything else."""
    if not plausible_token(token):
        raise NotFound("no such invitation")
    hashed = token_hash(token)
    pointer = directory_row(services, invitation_index_key(hashed), INVITATION_INDEX_ROW)
    if pointer is None:
        raise NotFound("no such invitation")
    try:
        admin = get_administrator(
            services, str(pointer["subscription_id"]), str(pointer["admin_id"])
        )
    except NotFound:
        raise NotFound("no such invitation") from None
    # Resent: the row holds a newer token's hash and this link is dead.
    if not hash_matches(token, admin.token_hash):
        raise NotFound("no such invitation")
    return admin


def _ensure_open(services: Services, admin: Administrator) -> None:
    if admin.status is AdminStatus.ACTIVE:
        raise Gone("this invitation has already been accepted", code="invitation_used")
    if admin.token_expires_at is None or services.clock() >= admin.token_expires_at:
        raise Gone(
            "this invitation has expired; ask the owner to send a new one",
            code="invitation_expired",
        )


def invitation_details(services: Services, token: str) -> InvitationDetails:
    subscription, admin = find_invitation(services, token)
    assert admin.token_expires_at is not None
    return InvitationDetails(
        subscription_name=subscription.name,
        invited_by=admin.invited_by,
        email=admin.email,
        permissions=sorted_permissions(admin.permissions),
        expires_at=admin.token_expires_at,
    )


def accept(services: Services, principal: Principal, token: str) -> SubscriptionView:
    """Bind the invitation to the signed-in user, whose email must be the invited one."""
    return _accept(services, principal, lambda: _locate(services, token))


def accept_by_id(services: Services, principal: Principal, token_id: str) -> SubscriptionView:
    """Accept one of the invitations `/api/me` lists, by its `token_id` (the administrator id).

    The same rules as accepting by the link; afterwards the link says `invitation_used`.
    """
    return _accept(services, principal, lambda: _locate_by_id(services, principal, token_id))


def _locate_by_id(services: Services, principal: Principal, token_id: str) -> Administrator:
    """The invitation with this id among those addressed to the signed-in user; 404 otherwise,
    so that an id says nothing about other people's invitations."""
    address = _normalized(principal.email)
    if not address or not plausible_id(token_id):
        raise NotFound("no such invitation")
    pointers = services.storage.table(DIRECTORY_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": invite_email_key(address)}, select=["RowKey"]
    )
    for pointer in pointers:
        subscription_id, _, admin_id = str(pointer["RowKey"]).partition("|")
        if admin_id == token_id:
            try:
                return get_administrator(services, subscription_id, admin_id)
            except NotFound:
                break
    raise NotFound("no such invitation")


def _accept(
    services: Services, principal: Principal, locate: Callable[[], Administrator]
) -> SubscriptionView:
    user_id = principal.user_id
    if user_id is None:
        raise Forbidden("sign in with a Microsoft 365 work account to accept an invitation")
    now = services.clock()

    def attempt() -> tuple[Subscription, Administrator]:
        admin = locate()
        if admin.status is AdminStatus.ACTIVE and admin.user_id == user_id:
            # Accepted already by this user, whose first try may have failed after the commit:
            # write the membership again so the subscription is listed, then say it is used.
            add_membership(services, user_id, admin.subscription_id)
        _ensure_open(services, admin)
        subscription = get_subscription(services, admin.subscription_id)
        if _normalized(principal.email) != admin.email:
            raise Forbidden(
                f"this invitation is for another address; sign in as {admin.email}",
                code="invitation_email_mismatch",
            )
        if user_id == subscription.owner.user_id:
            raise Conflict("you own this subscription", code="already_owner")
        if delegate_permissions(services, subscription.id, user_id) is not None:
            raise Conflict(
                "you are already an administrator of this subscription",
                code="already_administrator",
            )
        accepted = replace(admin, status=AdminStatus.ACTIVE, user_id=user_id, accepted_at=now)
        submit_changes(
            services,
            [
                replace_if_unchanged(accepted.to_entity(), admin.etag),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription.id,
                        at=now,
                        actor=principal.actor,
                        action="invitation_accepted",
                        target=admin.email,
                        detail=",".join(sorted_permissions(accepted.permissions)),
                    ),
                ),
            ],
        )
        return subscription, accepted

    subscription, admin = retry_on_conflict(attempt)
    add_membership(services, user_id, subscription.id)
    delete_directory_row(services, invite_email_key(admin.email), f"{subscription.id}|{admin.id}")
    return subscription_view(subscription, Access(Role.ADMINISTRATOR, admin.permissions))


def pending_invitations_for(services: Services, email: str) -> list[PendingInvitation]:
    """Invitations addressed to the email that can still be accepted, newest first."""
    try:
        address = normalize_email(email)
    except ValueError:
        return []
    pointers = services.storage.table(DIRECTORY_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": invite_email_key(address)}, select=["RowKey"]
    )
    now = services.clock()
    found: list[PendingInvitation] = []
    for pointer in pointers:
        subscription_id, _, admin_id = str(pointer["RowKey"]).partition("|")
        invitation = _pending(services, subscription_id, admin_id, address, now)
        if invitation is not None:
            found.append(invitation)
    found.sort(key=lambda item: item.expires_at, reverse=True)
    return found


def _pending(
    services: Services, subscription_id: str, admin_id: str, address: str, now: datetime
) -> PendingInvitation | None:
    # The pointer only points: the subscription's partition decides.
    try:
        admin = get_administrator(services, subscription_id, admin_id)
        subscription = get_subscription(services, subscription_id)
    except NotFound:
        return None
    if (
        admin.status is not AdminStatus.INVITED
        or admin.email != address
        or admin.token_expires_at is None
        or now >= admin.token_expires_at
    ):
        return None
    return PendingInvitation(
        token_id=admin.id,
        subscription_id=subscription.id,
        subscription_name=subscription.name,
        invited_by=admin.invited_by,
        permissions=sorted_permissions(admin.permissions),
        expires_at=admin.token_expires_at,
    )


def _normalized(email: str | None) -> str:
    try:
        return normalize_email(email or "")
    except ValueError:
        return ""
