"""The subscriptions a principal can reach, newest first."""

from __future__ import annotations

from shared.errors import NotFound
from shared.identity.principal import Principal, PrincipalKind
from shared.services import Services
from shared.subscriptions.access import access_to
from shared.subscriptions.memberships import membership_ids
from shared.subscriptions.store import get_subscription
from shared.subscriptions.views import SubscriptionView, subscription_view


def reachable_subscriptions(services: Services, principal: Principal) -> list[SubscriptionView]:
    if principal.kind is PrincipalKind.API_KEY and principal.subscription_id:
        candidates = [principal.subscription_id]
    elif principal.kind is PrincipalKind.USER and principal.user_id:
        candidates = membership_ids(services, principal.user_id)
    else:
        return []
    views = []
    for subscription_id in candidates:
        try:
            subscription = get_subscription(services, subscription_id)
        except NotFound:
            continue
        # The index only points; the subscription's own partition decides.
        access = access_to(services, principal, subscription)
        if access is not None:
            views.append(subscription_view(subscription, access))
    views.sort(key=lambda view: view.created_at, reverse=True)
    return views
