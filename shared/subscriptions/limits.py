"""What keeps a subscription from being used to send email to strangers.

Only a subscription whose licenses work (`active`, `past_due`) assigns, reassigns,
auto-assigns, invites or resends: a checkout that was never paid sends nothing.

Every email those operations send counts against the subscription's budget of the UTC day,
EMAILS_PER_SEAT_A_DAY per seat plus EMAILS_BASE_A_DAY: enough to assign every seat and
reassign each twice in one day, but no more. The count lives on the subscription's record,
which each of those operations replaces under its ETag in the same transaction as the email's
outbox row, so two requests cannot both spend the last of it. Beyond it: 429
`too_many_requests` with `Retry-After`, the seconds until the next UTC day.

docs/licenses.md, "Limits", says the same for people.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.errors import Conflict, Problem
from shared.subscriptions.model import Subscription

EMAILS_PER_SEAT_A_DAY = 3
EMAILS_BASE_A_DAY = 20
# An invitation's link is sent again at most this often a day.
RESENDS_A_DAY = 3


class TooManyRequests(Problem):
    status, code, title = 429, "too_many_requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        # `retry_after` becomes the Retry-After header (functions/http.py).
        super().__init__(detail, retry_after=max(1, retry_after), **extra)


def email_budget(quantity: int) -> int:
    """The emails a subscription of this many seats may send in one UTC day."""
    return EMAILS_PER_SEAT_A_DAY * quantity + EMAILS_BASE_A_DAY


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def seconds_until_next_day(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
    return max(1, math.ceil((midnight - moment).total_seconds()))


def require_working(subscription: Subscription, doing: str) -> None:
    """409 `subscription_not_active` unless the subscription's licenses work."""
    if not subscription.status.licenses_work:
        raise Conflict(
            f"the subscription is {subscription.status.value}; it must be active to {doing}",
            code="subscription_not_active",
        )


def emails_left(subscription: Subscription, now: datetime) -> int:
    sent = subscription.emails_sent if subscription.emails_day == utc_day(now) else 0
    return max(email_budget(subscription.quantity) - sent, 0)


def spend_emails(subscription: Subscription, count: int, now: datetime) -> Subscription:
    """The record with `count` more emails counted today; 429 when the budget cannot take them.

    The caller writes the returned record in the transaction that writes the emails."""
    if count <= 0:
        return subscription
    left = emails_left(subscription, now)
    if count > left:
        raise TooManyRequests(
            f"this would send {count} emails, but the subscription may send {left} more "
            f"today ({email_budget(subscription.quantity)} a day for "
            f"{subscription.quantity} seats)",
            retry_after=seconds_until_next_day(now),
        )
    today = utc_day(now)
    sent = subscription.emails_sent if subscription.emails_day == today else 0
    return subscription.with_changes(emails_day=today, emails_sent=sent + count)
