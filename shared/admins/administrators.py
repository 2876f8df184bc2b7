"""Delegated administrators of a subscription: invite, list, change permissions, remove, resend.

An administrator row lives in the subscription's partition, so the authorization module
(`shared.subscriptions.access`) reads it on every request: a change or a removal takes effect
on the delegate's next request, with no handler involved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from azure.core import MatchConditions
from azure.data.tables import TransactionOperation

from shared.admins.model import (
    INVITATION_INDEX_ROW,
    INVITATION_LIFETIME,
    Administrator,
    AdministratorList,
    AdminStatus,
    admin_email_row_key,
    admin_row_key,
    administrator_view,
    email_guard_entity,
    invitation_index_key,
    invite_email_key,
    new_id,
    plausible_id,
    with_view,
)
from shared.admins.rows import (
    delete_directory_row,
    partition_row,
    put_directory_row,
    submit_changes,
)
from shared.email.outbox import OutboxEntry, enqueue, outbox_row
from shared.errors import Conflict, Forbidden, NotFound
from shared.identity.principal import Principal
from shared.services import Services
from shared.subscriptions.access import Access, Role
from shared.subscriptions.activity import activity_row
from shared.subscriptions.limits import (
    RESENDS_A_DAY,
    TooManyRequests,
    require_working,
    seconds_until_next_day,
    spend_emails,
    utc_day,
)
from shared.subscriptions.memberships import remove_membership
from shared.subscriptions.model import ADMIN_PREFIX, Permission, Subscription, sorted_permissions
from shared.subscriptions.store import (
    Operation,
    get_subscription,
    partition_page,
    record_update,
    replace_if_unchanged,
    retry_on_conflict,
)
from shared.timefmt import iso
from shared.tokens import new_token, token_hash


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation just written: the row, and the secret token its email carries."""

    admin: Administrator
    token: str


def get_administrator(services: Services, subscription_id: str, admin_id: str) -> Administrator:
    if not plausible_id(admin_id):
        raise NotFound("no such administrator")
    row = partition_row(services, subscription_id, admin_row_key(admin_id))
    if row is None:
        raise NotFound("no such administrator")
    return Administrator.from_entity(row)


def administrator_by_email(
    services: Services, subscription_id: str, email: str
) -> Administrator | None:
    guard = partition_row(services, subscription_id, admin_email_row_key(email))
    if guard is None:
        return None
    row = partition_row(services, subscription_id, admin_row_key(guard["admin_id"]))
    return Administrator.from_entity(row) if row is not None else None


def list_administrators(
    services: Services, subscription_id: str, limit: int, cursor: str | None
) -> AdministratorList:
    rows, next_cursor = partition_page(services, subscription_id, ADMIN_PREFIX, limit, cursor)
    return AdministratorList(
        items=[administrator_view(Administrator.from_entity(row)) for row in rows],
        next_cursor=next_cursor,
    )


def invite(
    services: Services,
    principal: Principal,
    subscription: Subscription,
    email: str,
    permissions: set[Permission],
) -> IssuedInvitation:
    """A pending administrator with a fresh single-use link, emailed through the outbox."""
    if email == subscription.owner.email:
        raise Conflict("this address is the subscription's owner", code="already_owner")
    require_working(subscription, "invite administrators")
    now = services.clock()
    admin_id = new_id(now)
    token = new_token()
    hashed = token_hash(token)
    # The pointers go first: if the transaction then fails they lead nowhere, whereas a
    # committed invitation without its pointer would be a link that cannot work.
    _put_pointers(services, subscription.id, admin_id, email, hashed)
    fresh: list[Subscription] = [subscription]

    def attempt() -> tuple[Administrator, OutboxEntry]:
        current = fresh.pop() if fresh else get_subscription(services, subscription.id)
        require_working(current, "invite administrators")
        counted = spend_emails(current, 1, now)
        if administrator_by_email(services, subscription.id, email) is not None:
            raise Conflict(
                "this address is already an administrator of the subscription",
                code="already_administrator",
            )
        admin = Administrator(
            subscription_id=subscription.id,
            id=admin_id,
            email=email,
            permissions=with_view(permissions),
            status=AdminStatus.INVITED,
            invited_at=now,
            invited_by=principal.actor,
            token_hash=hashed,
            token_expires_at=now + INVITATION_LIFETIME,
        )
        email_row, entry = _invitation_email(services, subscription, admin, token, now)
        submit_changes(
            services,
            [
                record_update(counted),
                (TransactionOperation.CREATE, admin.to_entity()),
                (TransactionOperation.CREATE, email_guard_entity(subscription.id, email, admin.id)),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription.id,
                        at=now,
                        actor=principal.actor,
                        action="administrator_invited",
                        target=email,
                        detail=_permissions_text(admin.permissions),
                    ),
                ),
                (TransactionOperation.CREATE, email_row),
            ],
        )
        return admin, entry

    try:
        admin, entry = retry_on_conflict(attempt)
    except (Conflict, NotFound, TooManyRequests):
        _delete_pointers(services, subscription.id, admin_id, email, hashed)
        raise
    enqueue(services, [entry])
    return IssuedInvitation(admin, token)


def change_permissions(
    services: Services,
    principal: Principal,
    subscription: Subscription,
    admin_id: str,
    permissions: set[Permission],
) -> Administrator:
    now = services.clock()

    def attempt() -> Administrator:
        admin = get_administrator(services, subscription.id, admin_id)
        changed = replace(admin, permissions=with_view(permissions))
        if changed.permissions == admin.permissions:
            return admin
        submit_changes(
            services,
            [
                _update(changed, admin.etag),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription.id,
                        at=now,
                        actor=principal.actor,
                        action="administrator_permissions_changed",
                        target=admin.email,
                        detail=f"{_permissions_text(admin.permissions)} -> "
                        f"{_permissions_text(changed.permissions)}",
                    ),
                ),
            ],
        )
        return changed

    return retry_on_conflict(attempt)


def remove(
    services: Services,
    principal: Principal,
    subscription: Subscription,
    access: Access,
    admin_id: str,
) -> None:
    """The owner removes anyone; a delegate may remove only itself."""
    now = services.clock()

    def attempt() -> Administrator:
        admin = get_administrator(services, subscription.id, admin_id)
        removing_self = principal.user_id is not None and principal.user_id == admin.user_id
        if access.role is not Role.OWNER and not removing_self:
            raise Forbidden("only the subscription's owner can remove other administrators")
        submit_changes(
            services,
            [
                (
                    TransactionOperation.DELETE,
                    {"PartitionKey": subscription.id, "RowKey": admin.row_key},
                    {"etag": admin.etag, "match_condition": MatchConditions.IfNotModified},
                ),
                (
                    TransactionOperation.DELETE,
                    {"PartitionKey": subscription.id, "RowKey": admin_email_row_key(admin.email)},
                ),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription.id,
                        at=now,
                        actor=principal.actor,
                        action=(
                            "invitation_revoked"
                            if admin.status is AdminStatus.INVITED
                            else "administrator_removed"
                        ),
                        target=admin.email,
                    ),
                ),
            ],
        )
        return admin

    admin = retry_on_conflict(attempt)
    if admin.user_id:
        remove_membership(services, admin.user_id, subscription.id)
    _delete_pointers(services, subscription.id, admin.id, admin.email, admin.token_hash)


def resend(
    services: Services, principal: Principal, subscription: Subscription, admin_id: str
) -> IssuedInvitation:
    """A new link for a pending invitation; the previous link stops working."""
    now = services.clock()
    today = utc_day(now)
    token = new_token()
    hashed = token_hash(token)
    pointer_written = False
    fresh: list[Subscription] = [subscription]

    def attempt() -> tuple[Administrator, Administrator, OutboxEntry]:
        nonlocal pointer_written
        current = fresh.pop() if fresh else get_subscription(services, subscription.id)
        require_working(current, "resend invitations")
        admin = get_administrator(services, subscription.id, admin_id)
        if admin.status is not AdminStatus.INVITED:
            raise Conflict(
                "this administrator has already accepted the invitation",
                code="invitation_already_accepted",
            )
        resent = admin.resends if admin.resends_day == today else 0
        if resent >= RESENDS_A_DAY:
            raise TooManyRequests(
                f"this invitation was sent again {RESENDS_A_DAY} times today; try tomorrow",
                retry_after=seconds_until_next_day(now),
            )
        counted = spend_emails(current, 1, now)
        if not pointer_written:
            _put_pointers(services, subscription.id, admin.id, admin.email, hashed)
            pointer_written = True
        renewed = replace(
            admin,
            token_hash=hashed,
            token_expires_at=now + INVITATION_LIFETIME,
            resends_day=today,
            resends=resent + 1,
        )
        email_row, entry = _invitation_email(services, subscription, renewed, token, now)
        submit_changes(
            services,
            [
                record_update(counted),
                _update(renewed, admin.etag),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription.id,
                        at=now,
                        actor=principal.actor,
                        action="invitation_resent",
                        target=admin.email,
                    ),
                ),
                (TransactionOperation.CREATE, email_row),
            ],
        )
        return admin, renewed, entry

    try:
        previous, renewed, entry = retry_on_conflict(attempt)
    except (Conflict, NotFound, TooManyRequests):
        if pointer_written:
            delete_directory_row(services, invitation_index_key(hashed), INVITATION_INDEX_ROW)
        raise
    enqueue(services, [entry])
    if previous.token_hash:
        delete_directory_row(
            services, invitation_index_key(previous.token_hash), INVITATION_INDEX_ROW
        )
    return IssuedInvitation(renewed, token)


def accept_url(services: Services, token: str) -> str:
    return f"{services.settings.portal_origin}/invitations/{token}"


def _invitation_email(
    services: Services,
    subscription: Subscription,
    admin: Administrator,
    token: str,
    now: datetime,
) -> tuple[dict[str, object], OutboxEntry]:
    assert admin.token_expires_at is not None
    return outbox_row(
        subscription.id,
        to=admin.email,
        template="invitation",
        params={
            "invited_by": admin.invited_by,
            "subscription_name": subscription.name,
            "permissions": sorted_permissions(admin.permissions),
            "accept_url": accept_url(services, token),
            "email": admin.email,
            "expires_at": iso(admin.token_expires_at),
        },
        now=now,
    )


def _update(admin: Administrator, etag: str | None) -> Operation:
    return replace_if_unchanged(admin.to_entity(), etag)


def _put_pointers(
    services: Services, subscription_id: str, admin_id: str, email: str, hashed: str
) -> None:
    put_directory_row(
        services,
        {
            "PartitionKey": invitation_index_key(hashed),
            "RowKey": INVITATION_INDEX_ROW,
            "subscription_id": subscription_id,
            "admin_id": admin_id,
        },
    )
    put_directory_row(
        services,
        {"PartitionKey": invite_email_key(email), "RowKey": f"{subscription_id}|{admin_id}"},
    )


def _delete_pointers(
    services: Services, subscription_id: str, admin_id: str, email: str, hashed: str
) -> None:
    if hashed:
        delete_directory_row(services, invitation_index_key(hashed), INVITATION_INDEX_ROW)
    delete_directory_row(services, invite_email_key(email), f"{subscription_id}|{admin_id}")


def _permissions_text(permissions: frozenset[Permission]) -> str:
    return ",".join(sorted_permissions(permissions))
