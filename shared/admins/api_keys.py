"""API keys of a subscription, managed by its owner: create (shown once), list, revoke."""

from __future__ import annotations

from azure.data.tables import TransactionOperation
from pydantic import BaseModel

from shared.admins.model import new_id, plausible_id, with_view
from shared.admins.rows import (
    delete_directory_row,
    partition_row,
    put_directory_row,
    submit_changes,
)
from shared.errors import NotFound, field_error
from shared.identity.api_keys import KEY_INDEX_ROW, KEY_PERMISSIONS, ApiKey, key_index_key
from shared.identity.principal import Principal
from shared.identity.resolve import API_KEY_PREFIX
from shared.services import Services
from shared.subscriptions.activity import activity_row
from shared.subscriptions.model import KEY_PREFIX, Permission, Subscription, sorted_permissions
from shared.subscriptions.store import partition_page, retry_on_conflict, submit
from shared.timefmt import Timestamp
from shared.tokens import new_token, token_hash


class ApiKeyView(BaseModel):
    id: str
    name: str
    permissions: list[str]
    created_at: Timestamp
    last_used_at: Timestamp | None


class CreatedApiKey(ApiKeyView):
    """The answer to creating a key: the only time the key itself is shown."""

    key: str


class ApiKeyList(BaseModel):
    items: list[ApiKeyView]
    next_cursor: str | None = None


def api_key_view(api_key: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=api_key.id,
        name=api_key.name,
        permissions=sorted_permissions(api_key.permissions),
        created_at=api_key.created_at,
        last_used_at=api_key.last_used_at,
    )


def create_key(
    services: Services,
    principal: Principal,
    subscription: Subscription,
    name: str,
    permissions: set[Permission],
) -> CreatedApiKey:
    if not permissions <= KEY_PERMISSIONS:
        # The edge refuses these already; this guards every other caller with the same 422.
        raise field_error("permissions", "API keys hold only view, assign and quantity")
    now = services.clock()
    key = new_token(API_KEY_PREFIX)
    hashed = token_hash(key)
    api_key = ApiKey(
        subscription_id=subscription.id,
        id=new_id(now),
        name=name,
        permissions=with_view(permissions),
        key_hash=hashed,
        created_at=now,
        created_by=principal.actor,
    )
    # The pointer first: without its key row it leads nowhere (resolution reads both).
    put_directory_row(
        services,
        {
            "PartitionKey": key_index_key(hashed),
            "RowKey": KEY_INDEX_ROW,
            "subscription_id": subscription.id,
            "key_id": api_key.id,
        },
    )
    submit(
        services,
        [
            (TransactionOperation.CREATE, api_key.to_entity()),
            (
                TransactionOperation.CREATE,
                activity_row(
                    subscription.id,
                    at=now,
                    actor=principal.actor,
                    action="api_key_created",
                    target=name,
                    detail=",".join(sorted_permissions(api_key.permissions)),
                ),
            ),
        ],
    )
    return CreatedApiKey(**api_key_view(api_key).model_dump(), key=key)


def list_keys(
    services: Services, subscription_id: str, limit: int, cursor: str | None
) -> ApiKeyList:
    rows, next_cursor = partition_page(services, subscription_id, KEY_PREFIX, limit, cursor)
    return ApiKeyList(
        items=[api_key_view(ApiKey.from_entity(row)) for row in rows], next_cursor=next_cursor
    )


def revoke_key(
    services: Services, principal: Principal, subscription: Subscription, key_id: str
) -> None:
    """Delete the key row: the next request with the key finds nothing and is refused."""

    def attempt() -> ApiKey:
        row = partition_row(services, subscription.id, KEY_PREFIX + key_id)
        if row is None:
            raise NotFound("no such API key")
        api_key = ApiKey.from_entity(row)
        submit_changes(
            services,
            [
                (
                    TransactionOperation.DELETE,
                    {"PartitionKey": subscription.id, "RowKey": api_key.row_key},
                ),
                (
                    TransactionOperation.CREATE,
                    activity_row(
                        subscription.id,
                        at=services.clock(),
                        actor=principal.actor,
                        action="api_key_revoked",
                        target=api_key.name,
                    ),
                ),
            ],
        )
        return api_key

    if not plausible_id(key_id):
        raise NotFound("no such API key")
    api_key = retry_on_conflict(attempt)
    delete_directory_row(services, key_index_key(api_key.key_hash), KEY_INDEX_ROW)
