"""API keys of resellers' scripts: `smk_` + 32 random bytes, stored only as SHA-256.

A key has two rows. In the subscription's partition, `key|{key id}` holds its hash, name and
permissions; deleting it revokes the key. In the `directory` table, `apikey|{hash}` points
from the hash to that row, so a request finds its key in one read. The pointer is never
trusted alone: every request also reads the key row, so a revocation holds from the next
request on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.errors import InvalidToken
from shared.identity.principal import Principal, PrincipalKind
from shared.identity.resolve import API_KEY_PREFIX
from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.subscriptions.model import (
    KEY_PREFIX,
    Permission,
    parse_permissions,
    store_permissions,
)
from shared.subscriptions.store import subscriptions_table
from shared.tokens import hash_matches, plausible_token, token_hash

logger = logging.getLogger(__name__)

KEY_INDEX_PREFIX = "apikey|"
KEY_INDEX_ROW = "apikey"
# Writing last use on every request would double a script's storage cost; the list shows it
# to the minute anyway.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# What a key may be granted: billing (invoices, payment methods) stays with people.
KEY_PERMISSIONS = frozenset({Permission.VIEW, Permission.ASSIGN, Permission.QUANTITY})


@dataclass(frozen=True)
class ApiKey:
    """One `key|` row of a subscription's partition."""

    subscription_id: str
    id: str
    name: str
    permissions: frozenset[Permission]
    key_hash: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None = None

    @property
    def row_key(self) -> str:
        return KEY_PREFIX + self.id

    def to_entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": self.subscription_id,
            "RowKey": self.row_key,
            "name": self.name,
            "permissions": store_permissions(self.permissions),
            "key_hash": self.key_hash,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "last_used_at": self.last_used_at,
        }

    @classmethod
    def from_entity(cls, entity: Any) -> ApiKey:
        return cls(
            subscription_id=entity["PartitionKey"],
            id=entity["RowKey"].removeprefix(KEY_PREFIX),
            name=entity["name"],
            permissions=parse_permissions(entity["permissions"]),
            key_hash=entity["key_hash"],
            created_at=entity["created_at"],
            created_by=entity.get("created_by") or "",
            last_used_at=entity.get("last_used_at"),
        )


def key_index_key(hashed: str) -> str:
    return KEY_INDEX_PREFIX + hashed


def principal_for_key(services: Services, key: str) -> Principal:
    """The principal of a live key; 401 `invalid_token` for an unknown, malformed or revoked one."""
    if not plausible_token(key, API_KEY_PREFIX):
        raise InvalidToken("the API key is not valid")
    hashed = token_hash(key)
    try:
        pointer = services.storage.table(DIRECTORY_TABLE).get_entity(
            key_index_key(hashed), KEY_INDEX_ROW
        )
        row = subscriptions_table(services).get_entity(
            str(pointer["subscription_id"]), KEY_PREFIX + str(pointer["key_id"])
        )
    except ResourceNotFoundError:
        raise InvalidToken("the API key is not valid or has been revoked") from None
    api_key = ApiKey.from_entity(row)
    if not hash_matches(key, api_key.key_hash):
        raise InvalidToken("the API key is not valid or has been revoked")
    _record_use(services, api_key)
    return Principal(
        PrincipalKind.API_KEY,
        subscription_id=api_key.subscription_id,
        key_id=api_key.id,
        key_permissions=frozenset(p.value for p in api_key.permissions),
    )


def _record_use(services: Services, api_key: ApiKey) -> None:
    now = services.clock()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    try:
        # A merge never creates a row: a key revoked meanwhile stays revoked.
        subscriptions_table(services).update_entity(
            {
                "PartitionKey": api_key.subscription_id,
                "RowKey": api_key.row_key,
                "last_used_at": now,
            },
            mode=UpdateMode.MERGE,
        )
    except ResourceNotFoundError:
        raise InvalidToken("the API key has been revoked") from None
    except AzureError:
        # Recording use is bookkeeping; the request itself should not fail over it.
        logger.warning("could not record the use of API key %s", api_key.id, exc_info=True)
