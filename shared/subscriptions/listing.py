"""The subscriptions a principal can reach, newest first."""

from __future__ import annotations

from shared.errors import NotFound
from shared.identity.principal import Principal, PrincipalKind
from shared.paging import decode_cursor, encode_cursor
from shared.services import Services
from shared.subscriptions.access import access_to
from shared.subscriptions.memberships import membership_ids
from shared.subscriptions.store import get_subscription
from shared.subscriptions.views import SubscriptionPage, SubscriptionView, subscription_view


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
    views.sort(key=_order)
    return views


_CURSOR_PREFIX = "subscriptions|"


def subscription_page(
    services: Services, principal: Principal, limit: int, cursor: str | None
) -> SubscriptionPage:
    """A page of reachable_subscriptions; the cursor names the last one shown, so a
    subscription added or lost between pages neither repeats nor hides the others."""
    views = reachable_subscriptions(services, principal)
    if cursor:
        last = decode_cursor(cursor, _CURSOR_PREFIX).removeprefix(_CURSOR_PREFIX)
        views = [view for view in views if _order(view) > last]
    page = views[:limit]
    more = len(views) > limit
    return SubscriptionPage(
        items=page,
        next_cursor=encode_cursor(_CURSOR_PREFIX + _order(page[-1])) if more else None,
    )


def _order(view: SubscriptionView) -> str:
    # Newest first, then by id: the inverted creation time sorts as text.
    inverted = 10**13 - int(view.created_at.timestamp() * 1000)
    return f"{inverted:013d}|{view.id}"
