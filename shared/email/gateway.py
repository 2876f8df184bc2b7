"""Which email sender this process uses: the local mailbox only in local mode without
Communication Services settings (outside local mode the settings require them)."""

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
    # The settings refuse Communication Services without a sender at start-up.
    assert settings.email_sender is not None
    connection = settings.acs_connection_string
    return AcsEmailSender(
        acs_client(
            connection.get_secret_value() if connection else None,
            settings.acs_endpoint,
            settings.storage_client_id,
        ),
        settings.email_sender,
    )
