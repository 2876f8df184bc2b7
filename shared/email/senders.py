"""Two ways to send a rendered email behind one interface: Communication Services, or the
local mailbox that `GET /api/dev/emails` reads."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from azure.communication.email import EmailClient
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.data.tables import TableClient, UpdateMode

from shared.email.templates import RenderedEmail
from shared.storage.keys import decode_key, encode_key

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_SECONDS = 60
# How often to ask whether an accepted email went out when the service names no interval;
# the SDK's own default (30 s) would hold each queue message that long.
POLLING_SECONDS = 2


class RateLimited(Exception):
    """The provider asks us to wait; not a failure of the message."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"rate limited for {retry_after_seconds}s")
        self.retry_after_seconds = retry_after_seconds


class PermanentSendError(Exception):
    """The provider refused the message itself (a bad address, say); retrying cannot help."""


class TransientSendError(Exception):
    """The provider failed in a way that may pass; retry with back-off."""


class EmailSender(Protocol):
    def send(self, outbox_id: str, to: str, email: RenderedEmail, sent_at: datetime) -> None:
        """Send once per outbox id: a repeated call with the same id must not send twice."""


class AcsEmailSender:
    """Azure Communication Services Email, through its SDK."""

    def __init__(self, client: EmailClient, sender_address: str) -> None:
        self.client = client
        self.sender_address = sender_address

    def send(self, outbox_id: str, to: str, email: RenderedEmail, sent_at: datetime) -> None:
        message = {
            "senderAddress": self.sender_address,
            "recipients": {"to": [{"address": to}]},
            "content": {"subject": email.subject, "plainText": email.text, "html": email.html},
        }
        try:
            # The outbox id as Operation-Id makes Communication Services treat a repeat as the
            # same operation rather than a second email.
            poller = self.client.begin_send(
                message, operation_id=outbox_id, polling_interval=POLLING_SECONDS
            )
            result = poller.result()
        except HttpResponseError as error:
            raise _classify(error) from None
        except (ServiceRequestError, ServiceResponseError) as error:
            raise TransientSendError(
                f"Communication Services unreachable: {type(error).__name__}"
            ) from None
        status = (result or {}).get("status")
        if status != "Succeeded":
            detail = ((result or {}).get("error") or {}).get("code", "unknown")
            raise PermanentSendError(f"Communication Services reported {status}: {detail}")


def _classify(error: HttpResponseError) -> Exception:
    status = error.status_code or 0
    if 200 <= status < 300:
        # The poller raises with the last poll's response when the operation ended Failed or
        # Canceled. Sending again under the same Operation-Id cannot change that outcome.
        code = getattr(error.error, "code", None) or "failed or canceled"
        return PermanentSendError(f"Communication Services did not send the email: {code}")
    if status == 429:
        return RateLimited(_retry_after(error))
    if status in (400, 401, 403, 404, 413, 422):
        code = getattr(error.error, "code", None) or "rejected"
        return PermanentSendError(f"Communication Services refused the message: {status} {code}")
    return TransientSendError(f"Communication Services failed with status {status}")


def _retry_after(error: HttpResponseError) -> int:
    response: Any = error.response
    header = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(1, int(float(header))) if header else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def acs_client(
    connection_string: str | None, endpoint: str | None, client_id: str | None = None
) -> EmailClient:
    # Retries are the queue's job (with back-off and the poison queue), so a 429 must reach us
    # at once instead of being slept on inside the SDK.
    if connection_string:
        return EmailClient.from_connection_string(connection_string, retry_total=0)
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    credential = (
        ManagedIdentityCredential(client_id=client_id) if client_id else DefaultAzureCredential()
    )
    assert endpoint is not None
    return EmailClient(endpoint, credential, retry_total=0)


class MailboxSender:
    """Local mode: 'sends' by writing to a table the dev routes read. Keyed by outbox id, so a
    repeated send overwrites rather than duplicates."""

    def __init__(self, table: TableClient) -> None:
        self.table = table

    def send(self, outbox_id: str, to: str, email: RenderedEmail, sent_at: datetime) -> None:
        self.table.upsert_entity(
            {
                "PartitionKey": encode_key(to),
                "RowKey": outbox_id,
                "subject": email.subject,
                "text": email.text,
                "html": email.html,
                "sent_at": sent_at,
            },
            mode=UpdateMode.REPLACE,
        )
        logger.info("email %s delivered to the local mailbox", outbox_id)

    def messages(self, to: str | None) -> list[dict[str, object]]:
        query = (
            self.table.query_entities("PartitionKey eq @to", parameters={"to": encode_key(to)})
            if to
            else self.table.list_entities()
        )
        rows = [
            {
                "id": row["RowKey"],
                "to": decode_key(row["PartitionKey"]),
                "subject": row["subject"],
                "text": row["text"],
                "html": row["html"],
                "sent_at": row["sent_at"],
            }
            for row in query
        ]
        rows.sort(key=lambda row: row["sent_at"])  # type: ignore[arg-type,return-value]
        return rows
