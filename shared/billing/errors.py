"""Stripe's errors as problem documents: the one place that maps them.

The problem's detail never carries Stripe's message (it may name our account's objects);
the message is logged instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import stripe

from shared.errors import Conflict, Problem, UpstreamError, UpstreamUnavailable

logger = logging.getLogger(__name__)

# Stripe rarely sends Retry-After on a 429; its guidance is to back off and retry
# (https://docs.stripe.com/rate-limits).
DEFAULT_RETRY_AFTER_SECONDS = 2


class PaymentRejected(Problem):
    """The payment provider refused the request as it stands; repeating it will not help."""

    status, code, title = 422, "payment_rejected", "The payment provider refused the request"


def payment_problem(error: stripe.StripeError) -> Problem:
    """The problem a client sees for a failed Stripe call."""
    status = error.http_status
    if isinstance(error, stripe.RateLimitError):
        return UpstreamUnavailable(
            "the payment provider is busy; try again shortly",
            code="payments_rate_limited",
            retry_after=_retry_after(error),
        )
    if isinstance(error, stripe.CardError):
        return Conflict(
            "the payment method was declined; update it in the billing portal",
            code="payment_declined",
        )
    if isinstance(error, stripe.IdempotencyError):
        return Conflict(
            "a request with the same key but other parameters is in progress; try again",
            code="payment_request_conflict",
        )
    if isinstance(error, stripe.InvalidRequestError):
        return PaymentRejected(
            "the payment provider refused the request for this subscription",
            stripe_code=error.code,
        )
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        logger.error("Stripe refused our credentials (%s): check STRIPE_SECRET_KEY", status)
    return UpstreamError("the payment provider failed; try again", code="payments_error")


def _retry_after(error: stripe.StripeError) -> int:
    headers = error.headers or {}
    header = headers.get("retry-after") or headers.get("Retry-After")
    try:
        return max(int(str(header)), 1) if header is not None else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


@contextmanager
def stripe_errors(operation: str) -> Iterator[None]:
    """Run a Stripe call; its errors leave as the matching problem, logged once."""
    try:
        yield
    except stripe.StripeError as error:
        logger.warning(
            "Stripe %s failed: %s %s (request %s): %s",
            operation,
            error.http_status,
            type(error).__name__,
            error.request_id,
            error.user_message or error._message,
        )
        raise payment_problem(error) from None
