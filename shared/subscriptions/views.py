"""The Subscription object of API.md, as the caller sees it."""

from __future__ import annotations

from pydantic import BaseModel

from shared.subscriptions.access import Access
from shared.subscriptions.model import Subscription, sorted_permissions
from shared.timefmt import Timestamp


class OwnerView(BaseModel):
    email: str


class SubscriptionView(BaseModel):
    id: str
    name: str
    status: str
    quantity: int
    assigned: int
    available: int
    owner: OwnerView
    role: str
    permissions: list[str]
    auto_assign_domains: list[str]
    current_period_end: Timestamp | None
    created_at: Timestamp


class SubscriptionPage(BaseModel):
    items: list[SubscriptionView]
    next_cursor: str | None


def subscription_view(subscription: Subscription, access: Access) -> SubscriptionView:
    return SubscriptionView(
        id=subscription.id,
        name=subscription.name,
        status=subscription.status.value,
        quantity=subscription.quantity,
        assigned=subscription.assigned,
        available=subscription.available,
        owner=OwnerView(email=subscription.owner.email),
        role=access.role.value,
        permissions=sorted_permissions(access.permissions),
        auto_assign_domains=list(subscription.auto_assign_domains),
        current_period_end=subscription.current_period_end,
        created_at=subscription.created_at,
    )
