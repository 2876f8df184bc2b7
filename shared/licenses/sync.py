"""Asks for a subscription's license look-up rows to be brought in line with its seats and
status (after a status or name change, say); the `licensesync` queue does the work."""

from __future__ import annotations

import json
import logging

from shared.services import Services
from shared.storage.clients import LICENSE_SYNC_QUEUE

logger = logging.getLogger(__name__)


def request_lookup_sync(services: Services, subscription_id: str) -> None:
    """Best effort: when this fails, the timer-triggered reconciliation repairs the look-up."""
    try:
        services.storage.queue(LICENSE_SYNC_QUEUE).send_message(
            json.dumps({"subscription_id": subscription_id})
        )
    except Exception:
        logger.warning(
            "could not request a look-up sync of %s; reconciliation will",
            subscription_id,
            exc_info=True,
        )
