"""Deletes the rows of ended sessions and abandoned sign-ins.

They are refused already when presented (sessions.resolve_session, entra.complete_sign_in);
this keeps the `sessions` table from growing with every session nobody signed out of and
every sign-in nobody finished.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.identity.entra import SIGN_IN_RATE_ROW, SIGN_IN_ROW
from shared.identity.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SESSION_ROW
from shared.services import Services
from shared.storage.clients import SESSIONS_TABLE

logger = logging.getLogger(__name__)


def sweep_expired(services: Services) -> int:
    """Delete every expired session and sign-in row; the number deleted."""
    now = services.clock()
    table = services.storage.table(SESSIONS_TABLE)
    queries: list[tuple[str, dict[str, Any]]] = [
        (
            # Spaces inside the parentheses: the SDK finds @parameters between spaces.
            "RowKey eq @row and ( last_active_at lt @idle or created_at lt @absolute )",
            {"row": SESSION_ROW, "idle": now - IDLE_TIMEOUT, "absolute": now - ABSOLUTE_TIMEOUT},
        ),
        ("RowKey eq @row and expires_at lt @now", {"row": SIGN_IN_ROW, "now": now}),
        ("RowKey eq @row and expires_at lt @now", {"row": SIGN_IN_RATE_ROW, "now": now}),
    ]
    deleted = 0
    for query, parameters in queries:
        rows = table.query_entities(query, parameters=parameters, select=["PartitionKey", "RowKey"])
        for row in rows:
            table.delete_entity(row["PartitionKey"], row["RowKey"])
            deleted += 1
    if deleted:
        logger.info("deleted %d expired session and sign-in rows", deleted)
    return deleted
