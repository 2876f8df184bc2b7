"""Resolving `Bearer smk_…` to the principal of a live key, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.admins.api_keys import list_keys, revoke_key
from shared.errors import InvalidToken
from shared.identity.api_keys import KEY_INDEX_ROW, key_index_key, principal_for_key
from shared.identity.principal import PrincipalKind
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE, SUBSCRIPTIONS_TABLE
from shared.subscriptions.model import Permission
from shared.tokens import token_hash
from tests.conftest import Clock
from tests.shared.admins.factories import make_api_key, make_subscription, user


def test_a_live_key_speaks_for_its_subscription_with_its_permissions(services: Services) -> None:
    subscription = make_subscription(services)
    key = make_api_key(services, subscription, {Permission.ASSIGN})

    principal = principal_for_key(services, key)

    assert principal.kind is PrincipalKind.API_KEY
    assert principal.subscription_id == subscription.id
    assert principal.key_permissions == {"view", "assign"}
    assert principal.actor == f"api-key:{principal.key_id}"
    assert principal.user_id is None and principal.email is None


@pytest.mark.parametrize(
    "key", ["", "smk_", "smk_abc", "sk_" + "a" * 43, "smk_" + "a" * 200, "smk_" + "a b" * 20]
)
def test_malformed_keys_are_invalid(services: Services, key: str) -> None:
    with pytest.raises(InvalidToken):
        principal_for_key(services, key)


def test_a_key_whose_row_is_gone_is_invalid_even_if_its_pointer_remains(
    services: Services,
) -> None:
    subscription = make_subscription(services)
    key = make_api_key(services, subscription, {Permission.VIEW})
    pointer = services.storage.table(DIRECTORY_TABLE).get_entity(
        key_index_key(token_hash(key)), KEY_INDEX_ROW
    )
    services.storage.table(SUBSCRIPTIONS_TABLE).delete_entity(
        subscription.id, "key|" + pointer["key_id"]
    )

    with pytest.raises(InvalidToken):
        principal_for_key(services, key)


def test_a_pointer_is_not_trusted_without_the_key_rows_hash(services: Services) -> None:
    subscription = make_subscription(services)
    make_api_key(services, subscription, {Permission.VIEW})
    (listed,) = list_keys(services, subscription.id, 10, None).items
    forged = "smk_" + "F" * 43
    # A pointer from another key's hash to this key row (as if the directory were written by
    # someone else) does not make the forged key valid: the row's hash decides.
    services.storage.table(DIRECTORY_TABLE).upsert_entity(
        {
            "PartitionKey": key_index_key(token_hash(forged)),
            "RowKey": KEY_INDEX_ROW,
            "subscription_id": subscription.id,
            "key_id": listed.id,
        }
    )

    with pytest.raises(InvalidToken):
        principal_for_key(services, forged)


def test_revocation_holds_from_the_next_request_and_removes_the_pointer(
    services: Services,
) -> None:
    subscription = make_subscription(services)
    key = make_api_key(services, subscription, {Permission.VIEW})
    (listed,) = list_keys(services, subscription.id, 10, None).items
    principal_for_key(services, key)

    revoke_key(services, user(subscription.owner.email), subscription, listed.id)

    with pytest.raises(InvalidToken):
        principal_for_key(services, key)
    pointers = services.storage.table(DIRECTORY_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": key_index_key(token_hash(key))}
    )
    assert list(pointers) == []


def test_last_use_is_written_at_most_every_five_minutes(services: Services, clock: Clock) -> None:
    subscription = make_subscription(services)
    key = make_api_key(services, subscription, {Permission.VIEW})
    start = clock.now

    def last_used() -> object:
        (listed,) = list_keys(services, subscription.id, 10, None).items
        return listed.last_used_at

    assert last_used() is None
    principal_for_key(services, key)
    assert last_used() == start
    clock.advance(timedelta(minutes=4, seconds=59))
    principal_for_key(services, key)
    assert last_used() == start
    clock.advance(timedelta(seconds=1))
    principal_for_key(services, key)
    assert last_used() == clock.now
