"""Authorization: the one place that answers what a principal may do with a subscription.

No access at all is a 404 (a stranger cannot learn that a subscription exists); access
without the needed permission is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.identity.principal import Principal, PrincipalKind
from shared.services import Services
from shared.subscriptions.model import (
    ADMIN_PREFIX,
    ALL_PERMISSIONS,
    Permission,
    Subscription,
    parse_permissions,
    prefix_upper_bound,
)
from shared.subscriptions.store import get_subscription, subscriptions_table


class Role(StrEnum):
    OWNER = "owner"
    ADMINISTRATOR = "administrator"
    API_KEY = "api_key"


@dataclass(frozen=True)
class Access:
    role: Role
    permissions: frozenset[Permission]

    def allows(self, permission: Permission) -> bool:
        return permission in self.permissions


def access_to(
    services: Services, principal: Principal, subscription: Subscription
) -> Access | None:
    """What the principal may do with the subscription, or None when it has no access."""
    if principal.kind is PrincipalKind.API_KEY:
        if principal.subscription_id != subscription.id:
            return None
        granted = frozenset(Permission(p) for p in principal.key_permissions)
        return Access(Role.API_KEY, granted | {Permission.VIEW})
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        return None
    if principal.user_id == subscription.owner.user_id:
        return Access(Role.OWNER, ALL_PERMISSIONS)
    delegated = delegate_permissions(services, subscription.id, principal.user_id)
    if delegated is None:
        return None
    return Access(Role.ADMINISTRATOR, delegated | {Permission.VIEW})


def delegate_permissions(
    services: Services, subscription_id: str, user_id: str
) -> frozenset[Permission] | None:
    """The permissions of the user's active administrator row in the subscription, if any."""
    rows = subscriptions_table(services).query_entities(
        "PartitionKey eq @pk and RowKey gt @low and RowKey lt @high and user_id eq @uid "
        "and status eq 'active'",
        parameters={
            "pk": subscription_id,
            "low": ADMIN_PREFIX,
            "high": prefix_upper_bound(ADMIN_PREFIX),
            "uid": user_id,
        },
        select=["permissions"],
    )
    for row in rows:
        return parse_permissions(row["permissions"])
    return None


def authorize(
    services: Services,
    principal: Principal,
    subscription_id: str,
    need: Permission | None = Permission.VIEW,
    *,
    owner_only: bool = False,
) -> tuple[Subscription, Access]:
    """The subscription and the caller's access, or the problem that stops the request."""
    if principal.kind is PrincipalKind.ANONYMOUS:
        raise Unauthenticated("sign in or send a valid credential")
    subscription = get_subscription(services, subscription_id)
    access = access_to(services, principal, subscription)
    if access is None:
        raise NotFound("no such subscription")
    if owner_only and access.role is not Role.OWNER:
        raise Forbidden("only the subscription's owner can do this")
    if need is not None and not access.allows(need):
        raise Forbidden(f"this needs the '{need.value}' permission on the subscription")
    return subscription, access
