"""Timestamps as API.md writes them: ISO 8601, UTC, whole seconds, 'Z'."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# A datetime field of a response model, serialized the API's way.
Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]
