"""Small reads of a subscription's partition and of the directory that admins and keys share."""

from __future__ import annotations

import logging
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

from shared.services import Services
from shared.storage.clients import DIRECTORY_TABLE
from shared.subscriptions.store import ConcurrentChange, Operation, submit, subscriptions_table

logger = logging.getLogger(__name__)


def submit_changes(services: Services, operations: list[Operation]) -> None:
    """One partition transaction, where a row that vanished since it was read (404) counts as
    a concurrent change: the caller's retry reads again and answers from what is there now."""
    try:
        submit(services, operations)
    except HttpResponseError as error:
        if error.status_code == 404:
            raise ConcurrentChange("a row changed since it was read") from None
        raise


def partition_row(services: Services, subscription_id: str, row_key: str) -> Any | None:
    try:
        return subscriptions_table(services).get_entity(subscription_id, row_key)
    except ResourceNotFoundError:
        return None


def directory_row(services: Services, partition_key: str, row_key: str) -> Any | None:
    try:
        return services.storage.table(DIRECTORY_TABLE).get_entity(partition_key, row_key)
    except ResourceNotFoundError:
        return None


def put_directory_row(services: Services, entity: dict[str, Any]) -> None:
    services.storage.table(DIRECTORY_TABLE).upsert_entity(entity)


def delete_directory_row(services: Services, partition_key: str, row_key: str) -> None:
    """Best effort, after the change is committed: a pointer left behind leads nowhere, since
    the partition always decides, so failing the request over it would only mislead."""
    try:
        services.storage.table(DIRECTORY_TABLE).delete_entity(partition_key, row_key)
    except ResourceNotFoundError:
        pass
    except AzureError:
        logger.warning("could not delete directory row %s", partition_key, exc_info=True)
