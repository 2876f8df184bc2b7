"""Which email sender this process uses: Communication Services when configured, else the
local mailbox."""

from __future__ import annotations

from shared.email.senders import AcsEmailSender, EmailSender, MailboxSender, acs_client
from shared.services import Services
from shared.storage.clients import DEV_MAILBOX_TABLE

EMAIL_SENDER = "email_sender"


def email_sender(services: Services) -> EmailSender:
    return services.gateway(EMAIL_SENDER, _build)


def _build(services: Services) -> EmailSender:
    settings = services.settings
    if settings.local_mailbox:
        return MailboxSender(services.storage.table(DEV_MAILBOX_TABLE))
    if not settings.email_sender:
        raise ValueError("EMAIL_SENDER is required with Communication Services")
    connection = settings.acs_connection_string
    return AcsEmailSender(
        acs_client(
            connection.get_secret_value() if connection else None,
            settings.acs_endpoint,
            settings.storage_client_id,
        ),
        settings.email_sender,
    )
