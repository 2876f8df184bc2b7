"""Table and Queue Storage clients: a connection string locally, managed identity in Azure."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.queue import (
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from shared.settings import Settings

logger = logging.getLogger(__name__)

SUBSCRIPTIONS_TABLE = "subscriptions"
LICENSE_LOOKUP_TABLE = "licenselookup"
SESSIONS_TABLE = "sessions"
DIRECTORY_TABLE = "directory"
TABLES = (SUBSCRIPTIONS_TABLE, LICENSE_LOOKUP_TABLE, SESSIONS_TABLE, DIRECTORY_TABLE)
# Local mode only: where the local mailbox keeps what it "sent".
DEV_MAILBOX_TABLE = "devmailbox"

EMAIL_QUEUE = "emails"
LICENSE_SYNC_QUEUE = "licensesync"
QUEUES = (EMAIL_QUEUE, LICENSE_SYNC_QUEUE)


def poison_queue_name(queue: str) -> str:
    return f"{queue}-poison"


@dataclass
class Storage:
    """The storage account: named tables and queues, built once and shared."""

    table_service: TableServiceClient
    queue_service: QueueServiceClient
    prefix: str = ""
    _tables: dict[str, TableClient] = field(default_factory=dict, repr=False)
    _queues: dict[str, QueueClient] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> TableClient:
        if name not in self._tables:
            self._tables[name] = self.table_service.get_table_client(self.prefix + name)
        return self._tables[name]

    def queue(self, name: str) -> QueueClient:
        """A queue client speaking base64, as the Functions host's queue trigger expects."""
        if name not in self._queues:
            self._queues[name] = self.queue_service.get_queue_client(
                self.queue_name(name),
                message_encode_policy=TextBase64EncodePolicy(),
                message_decode_policy=TextBase64DecodePolicy(),
            )
        return self._queues[name]

    def queue_name(self, name: str) -> str:
        return f"{self.prefix}-{name}" if self.prefix else name

    def create_all(self) -> None:
        """Create every table and queue (local mode; in Azure the templates do it)."""
        for name in (*TABLES, DEV_MAILBOX_TABLE):
            self.table_service.create_table_if_not_exists(self.prefix + name)
        for name in QUEUES:
            for queue in (name, poison_queue_name(name)):
                try:
                    self.queue_service.create_queue(self.queue_name(queue))
                except ResourceExistsError:
                    pass

    def ping(self, timeout: float = 2.0) -> None:
        """One cheap request that fails within about `timeout` seconds when storage does not
        answer. No retries and short timeouts: with the SDK's defaults a refused connection
        takes seconds of back-off and a silent one minutes, longer than any health probe waits.
        """
        next(
            iter(
                self.table(SUBSCRIPTIONS_TABLE).query_entities(
                    "PartitionKey eq 'health'",
                    results_per_page=1,
                    retry_total=0,
                    connection_timeout=timeout,
                    read_timeout=timeout,
                )
            ),
            None,
        )


def storage_from_settings(settings: Settings, *, prefix: str = "") -> Storage:
    if settings.storage_connection:
        return Storage(
            TableServiceClient.from_connection_string(settings.storage_connection),
            QueueServiceClient.from_connection_string(settings.storage_connection),
            prefix=prefix,
        )
    credential = _managed_identity(settings)
    account = settings.storage_account_name
    table_uri = settings.storage_table_uri or f"https://{account}.table.core.windows.net"
    queue_uri = settings.storage_queue_uri or f"https://{account}.queue.core.windows.net"
    return Storage(
        TableServiceClient(endpoint=table_uri, credential=credential),
        QueueServiceClient(account_url=queue_uri, credential=credential),
        prefix=prefix,
    )


def _managed_identity(settings: Settings) -> TokenCredential:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if settings.storage_client_id:
        return ManagedIdentityCredential(client_id=settings.storage_client_id)
    return DefaultAzureCredential()
