"""Which subscriptions a person owns or administers: an index for listing them.

The index lives outside the subscriptions' partitions, so it is only a pointer: access is
always decided again from the subscription's own partition.
"""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE

_MEMBER_PREFIX = "member|"


def add_membership(services: Services, user_id: str, subscription_id: str) -> None:
    services.storage.table(DIRECTORY_TABLE).upsert_entity(
        {"PartitionKey": _MEMBER_PREFIX + user_id, "RowKey": subscription_id},
        mode=UpdateMode.REPLACE,
    )


def remove_membership(services: Services, user_id: str, subscription_id: str) -> None:
    try:
        services.storage.table(DIRECTORY_TABLE).delete_entity(
            _MEMBER_PREFIX + user_id, subscription_id
        )
    except ResourceNotFoundError:
        pass


def membership_ids(services: Services, user_id: str) -> list[str]:
    rows = services.storage.table(DIRECTORY_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": _MEMBER_PREFIX + user_id}, select=["RowKey"]
    )
    return [row["RowKey"] for row in rows]
