"""Factories for delegated-access tests: people, delegates, keys, emails (subscriptions come
from `tests.factories`, re-exported here).

Delegates and keys are made through the domain operations the endpoints call, so a test
starts from the same rows a user would have produced.
"""

from __future__ import annotations

import re

from shared.admins import administrators, invitations
from shared.admins.api_keys import create_key
from shared.email import outbox
from shared.email.gateway import email_sender
from shared.identity.local_users import local_user
from shared.identity.principal import Principal, PrincipalKind
from shared.services import Services
from shared.storage.clients import EMAIL_QUEUE
from shared.subscriptions.model import Permission, Subscription
from tests.api_client import ApiClient
from tests.factories import make_subscription

__all__ = [
    "bearer",
    "deliver_emails",
    "invitation_tokens",
    "invite",
    "make_api_key",
    "make_delegate",
    "make_subscription",
    "only_new_token",
    "user",
]

ACCEPT_LINK = re.compile(r"/invitations/([A-Za-z0-9_-]+)")


def user(email: str) -> Principal:
    """The principal a signed-in local-mode user has (same ids as `POST /api/dev/login`)."""
    person = local_user(email)
    return Principal(
        PrincipalKind.USER,
        email=email,
        tenant_id=person.tenant_id,
        object_id=person.object_id,
    )


def invite(
    services: Services, subscription: Subscription, email: str, permissions: set[Permission]
) -> administrators.IssuedInvitation:
    owner = user(subscription.owner.email)
    return administrators.invite(services, owner, subscription, email, permissions)


def make_delegate(
    services: Services, subscription: Subscription, email: str, permissions: set[Permission]
) -> str:
    """An active administrator; returns its admin id."""
    issued = invite(services, subscription, email, permissions)
    invitations.accept(services, user(email), issued.token)
    return issued.admin.id


def make_api_key(
    services: Services, subscription: Subscription, permissions: set[Permission], name: str = "k"
) -> str:
    owner = user(subscription.owner.email)
    return create_key(services, owner, subscription, name, permissions).key


def deliver_emails(services: Services) -> int:
    """Run the queue-triggered sender over what is queued (the test host runs no queues)."""
    queue = services.storage.queue(EMAIL_QUEUE)
    sender = email_sender(services)
    delivered = 0
    while True:
        messages = list(queue.receive_messages(max_messages=32, visibility_timeout=30))
        if not messages:
            return delivered
        for message in messages:
            outbox.deliver(services, sender, message.content)
            queue.delete_message(message)
            delivered += 1


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def invitation_tokens(api: ApiClient, services: Services, to: str) -> list[str]:
    """The tokens of the invitation links in the local mailbox for an address."""
    deliver_emails(services)
    response = api.get("/api/dev/emails", params={"to": to})
    assert response.status_code == 200, response.text
    tokens = []
    for item in response.json()["items"]:
        match = ACCEPT_LINK.search(item["text"])
        if match is not None:
            tokens.append(match.group(1))
    return tokens


def only_new_token(api: ApiClient, services: Services, to: str, seen: list[str]) -> str:
    """The one invitation token mailed to the address that is not among those seen before."""
    fresh = [token for token in invitation_tokens(api, services, to) if token not in seen]
    assert len(fresh) == 1, fresh
    return fresh[0]
