"""Ownership transfer to an active administrator, for when the owner leaves.

One partition transaction replaces the record's owner (with its ETag), turns the new owner's
administrator row into nothing and the previous owner into an administrator with every
permission, and writes the activity row and both emails: it happens entirely or not at all.
"""

from __future__ import annotations

from azure.core import MatchConditions
from azure.data.tables import TransactionOperation

from shared.admins.administrators import administrator_by_email
from shared.admins.model import (
    Administrator,
    AdminStatus,
    admin_email_row_key,
    email_guard_entity,
    new_id,
)
from shared.admins.rows import submit_changes
from shared.email.outbox import OutboxEntry, enqueue, outbox_row
from shared.errors import Conflict, Forbidden
from shared.identity.principal import Principal
from shared.licenses.lookup import write_auto_entries
from shared.services import Services
from shared.subscriptions.access import Access, Role
from shared.subscriptions.activity import activity_row
from shared.subscriptions.memberships import add_membership
from shared.subscriptions.model import ALL_PERMISSIONS, Owner, Subscription
from shared.subscriptions.store import get_subscription, record_update, retry_on_conflict
from shared.subscriptions.views import SubscriptionView, subscription_view


def transfer_ownership(
    services: Services, principal: Principal, subscription_id: str, email: str
) -> SubscriptionView:
    """Make the active administrator with this email the owner; the caller stays an admin."""
    now = services.clock()

    def attempt() -> tuple[Subscription, Owner, list[OutboxEntry]]:
        # Read again inside the attempt: a concurrent transfer may have moved ownership.
        subscription = get_subscription(services, subscription_id)
        previous = subscription.owner
        if principal.user_id != previous.user_id:
            raise Forbidden("only the subscription's owner can transfer ownership")
        if email == previous.email:
            raise Conflict("you already own this subscription", code="already_owner")
        admin = administrator_by_email(services, subscription_id, email)
        if admin is None:
            raise Conflict(
                "ownership can only move to an administrator of the subscription; invite "
                "this address first",
                code="not_an_administrator",
            )
        if admin.status is not AdminStatus.ACTIVE or not admin.user_id:
            raise Conflict(
                "this administrator has not accepted the invitation yet",
                code="administrator_not_active",
            )
        tenant_id, _, object_id = admin.user_id.partition(":")
        new_owner = Owner(tenant_id=tenant_id, object_id=object_id, email=admin.email)
        previous_admin = Administrator(
            subscription_id=subscription_id,
            id=new_id(now),
            email=previous.email,
            permissions=ALL_PERMISSIONS,
            status=AdminStatus.ACTIVE,
            invited_at=now,
            invited_by=principal.actor,
            user_id=previous.user_id,
            accepted_at=now,
        )
        params = {
            "subscription_name": subscription.name,
            "previous_owner": previous.email,
            "new_owner": new_owner.email,
            "manage_url": f"{services.settings.portal_origin}/subscriptions/{subscription_id}",
        }
        emails = [
            outbox_row(
                subscription_id,
                to=to,
                template="ownership_transferred",
                params=params,
                now=now,
            )
            for to in (new_owner.email, previous.email)
        ]
        submit_changes(
            services,
            [
                record_update(subscription.with_changes(owner=new_owner)),
                (
                    TransactionOperation.DELETE,
                    {"PartitionKey": subscription_id, "RowKey": admin.row_key},
                    {"etag": admin.etag, "match_condition": MatchConditions.IfNotModified},
                ),
                (
                    TransactionOperation.DELETE,
                    {"PartitionKey": subscription_id, "RowKey": admin_email_row_key(admin.email)},
                ),
                (TransactionOperation.CREATE, previous_admin.to_entity()),
                (
                    TransactionOperation.CREATE,
                    email_guard_entity(subscription_id, previous.email, previous_admin.id),
                ),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription_id,
                        at=now,
                        actor=principal.actor,
                        action="ownership_transferred",
                        target=new_owner.email,
                        detail=f"from {previous.email}",
                    ),
                ),
                *((TransactionOperation.CREATE, entity) for entity, _ in emails),
            ],
        )
        return subscription.with_changes(owner=new_owner), previous, [e for _, e in emails]

    subscription, previous, entries = retry_on_conflict(attempt)
    enqueue(services, entries)
    # Both already had a membership (owner, administrator); written again in case one was lost.
    add_membership(services, subscription.owner.user_id, subscription_id)
    add_membership(services, previous.user_id, subscription_id)
    # The auto-assign rows carry the owner's tenant, the only one whose users get seats.
    write_auto_entries(services, subscription)
    return subscription_view(subscription, Access(Role.ADMINISTRATOR, ALL_PERMISSIONS))
