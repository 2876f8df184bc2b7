"""Factories shared by tests: subscriptions as the purchases code leaves them, and helpers
that drive what the test host does not run (queues)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from shared.identity.local_users import local_user
from shared.licenses.sync import handle_sync_message
from shared.services import Services
from shared.storage.clients import LICENSE_SYNC_QUEUE
from shared.subscriptions.memberships import add_membership
from shared.subscriptions.model import Owner, Status, Subscription
from shared.subscriptions.store import get_subscription, subscriptions_table


def make_subscription(
    services: Services,
    owner_email: str = "owner@contoso.com",
    *,
    quantity: int = 10,
    status: Status = Status.ACTIVE,
    name: str = "Contoso",
) -> Subscription:
    """A subscription record as checkout leaves it, owned by the local user of the email."""
    person = local_user(owner_email)
    now = services.clock()
    subscription = Subscription(
        id=str(uuid.uuid4()),
        name=name,
        status=status,
        quantity=quantity,
        assigned=0,
        owner=Owner(person.tenant_id, person.object_id, owner_email),
        created_at=now,
        current_period_end=now + timedelta(days=30),
    )
    subscriptions_table(services).create_entity(subscription.to_entity())
    add_membership(services, subscription.owner.user_id, subscription.id)
    return get_subscription(services, subscription.id)


def change_record(services: Services, subscription_id: str, **changes: Any) -> Subscription:
    """Change the record under its ETag (as the purchases code does); raises on a conflict."""
    current = get_subscription(services, subscription_id)
    updated = current.with_changes(**changes)
    subscriptions_table(services).update_entity(
        updated.to_entity(),
        mode=UpdateMode.REPLACE,
        etag=current.etag,
        match_condition=MatchConditions.IfNotModified,
    )
    return get_subscription(services, subscription_id)


def drain_license_sync(services: Services) -> int:
    """Run the `licensesync` queue function over what is queued (the test host runs none)."""
    queue = services.storage.queue(LICENSE_SYNC_QUEUE)
    handled = 0
    while True:
        messages = list(queue.receive_messages(max_messages=32, visibility_timeout=30))
        if not messages:
            return handled
        for message in messages:
            handle_sync_message(services, message.content)
            queue.delete_message(message)
            handled += 1
