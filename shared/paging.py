"""Paging of API.md: `?limit=` (1..1000, default 100) and an opaque `?cursor=`."""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_LENGTH = 1024


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR_LENGTH)


def encode_cursor(row_key: str) -> str:
    return base64.urlsafe_b64encode(row_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected_prefix: str) -> str:
    """The row key a cursor continues after; 400 `invalid_cursor` when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        row_key = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("the cursor is not valid", code="invalid_cursor") from None
    if not row_key.startswith(expected_prefix):
        raise BadRequest("the cursor is not valid", code="invalid_cursor")
    return row_key
