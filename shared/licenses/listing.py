"""Listing licenses (one partition query per page) and their CSV export and import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.errors import FieldError, field_error
from shared.licenses.model import (
    MAX_ADDRESSES,
    MAX_LABEL_LENGTH,
    SEAT_COLUMNS,
    SEAT_RANGE,
    license_document,
    license_status,
    odata,
)
from shared.licenses.seats import Requested
from shared.paging import PageQuery, decode_cursor, encode_cursor
from shared.services import Services
from shared.storage.keys import encode_key
from shared.subscriptions.model import SEAT_PREFIX, Subscription, prefix_upper_bound
from shared.subscriptions.store import subscriptions_table
from shared.validation import normalize_email, plain_text

CSV_EXPORT_HEADER = ["email", "label", "status", "assigned_at", "last_seen_at", "shared_mailbox"]
CSV_IMPORT_HEADER = ["email", "label", "shared_mailbox"]
# The import's columns: email alone, email and label, or all three.
_IMPORT_HEADERS = [CSV_IMPORT_HEADER[:n] for n in (1, 2, 3)]
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0", ""})
# A spreadsheet runs a cell that starts with one of these as a formula
# (https://owasp.org/www-community/attacks/CSV_Injection), and some read the fullwidth forms
# as the ASCII ones and skip leading blanks and invisible characters first; such cells are
# exported with a leading apostrophe, and an import takes that apostrophe off again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_INVISIBLE_STARTS = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
MAX_REPORTED_ROWS = 100


class LicenseQuery(PageQuery):
    """`?status=&label=&q=&limit=&cursor=`; `q` is the start of an address or of its domain."""

    status: Literal["active", "expired"] | None = None
    label: str | None = Field(default=None, min_length=1, max_length=MAX_LABEL_LENGTH)
    q: str | None = Field(default=None, max_length=254)

    @field_validator("q")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        value = (value or "").strip().lower()
        return value or None


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str | None = Field(default=None, min_length=1, max_length=MAX_LABEL_LENGTH)


def _filter(subscription_id: str, low: str, label: str | None, q: str | None) -> str:
    parts = [
        f"PartitionKey eq {odata(subscription_id)}",
        f"RowKey gt {odata(low)}" if low != SEAT_RANGE[0] else f"RowKey ge {odata(low)}",
        f"RowKey lt {odata(SEAT_RANGE[1])}",
    ]
    if label is not None:
        parts.append(f"label eq {odata(label)}")
    if q:
        by_address = SEAT_PREFIX + encode_key(q)
        address = (
            f"(RowKey ge {odata(by_address)} and RowKey lt {odata(prefix_upper_bound(by_address))})"
        )
        if "@" in q:
            parts.append(address)
        else:
            domain = f"(domain ge {odata(q)} and domain lt {odata(prefix_upper_bound(q))})"
            parts.append(f"({address} or {domain})")
    return " and ".join(parts)


def list_licenses(
    services: Services, subscription: Subscription, query: LicenseQuery
) -> dict[str, Any]:
    """A page of licenses, in address order; `next_cursor` is null on the last page."""
    status = license_status(subscription)
    if query.status is not None and query.status != status:
        # Every license of a subscription has its status: nothing to read.
        return {"items": [], "next_cursor": None}
    low = decode_cursor(query.cursor, SEAT_PREFIX) if query.cursor else SEAT_RANGE[0]
    pages: Any = (
        subscriptions_table(services)
        .query_entities(
            _filter(subscription.id, low, query.label, query.q),
            select=SEAT_COLUMNS,
            results_per_page=query.limit,
        )
        .by_page()
    )
    items: list[Any] = []
    # One request per page; the service may stop a filtered scan early, then we read on.
    for page in pages:
        items.extend(page)
        if len(items) >= query.limit or pages.continuation_token is None:
            break
    more = pages.continuation_token is not None or len(items) > query.limit
    items = items[: query.limit]
    stamps: dict[datetime, str] = {}
    return {
        "items": [license_document(seat, status, stamps) for seat in items],
        "next_cursor": encode_cursor(items[-1]["RowKey"]) if more and items else None,
    }


def all_seats(services: Services, subscription_id: str, label: str | None) -> Iterator[Any]:
    return iter(
        subscriptions_table(services).query_entities(
            _filter(subscription_id, SEAT_RANGE[0], label, None),
            select=SEAT_COLUMNS,
            results_per_page=1000,
        )
    )


def _runs_as_formula(cell: str) -> bool:
    return bool(cell) and (
        cell.startswith(_FORMULA_STARTS + _INVISIBLE_STARTS) or cell[0].isspace()
    )


def _guard(cell: str) -> str:
    return "'" + cell if _runs_as_formula(cell) else cell


def _unguard(cell: str) -> str:
    if cell.startswith("'") and _runs_as_formula(cell[1:]):
        return cell[1:]
    return cell


def export_csv(services: Services, subscription: Subscription, label: str | None) -> str:
    """Every license (of a label), as CSV; cells that a spreadsheet would run are defused."""
    status = license_status(subscription)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_EXPORT_HEADER)
    stamps: dict[datetime, str] = {}
    for seat in all_seats(services, subscription.id, label):
        document = license_document(seat, status, stamps)
        writer.writerow(
            [
                _guard(document["email"]),
                _guard(document["label"] or ""),
                status,
                document["assigned_at"],
                document["last_seen_at"] or "",
                "true" if document["shared_mailbox"] else "false",
            ]
        )
    return out.getvalue()


def parse_import(text: str) -> list[Requested]:
    """The rows of an `email,label` CSV; 422 naming every bad line when any is bad."""
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte-order mark
    if not text.strip():
        raise field_error("body", "the CSV is empty; its first line must be 'email,label'")
    if "\x00" in text:
        raise field_error("body", "the CSV holds a NUL character; is it really text?")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except csv.Error:
        raise field_error("line 1", "the header is not valid CSV") from None
    if header not in _IMPORT_HEADERS:
        raise field_error(
            "line 1", "the header must be 'email,label' or 'email,label,shared_mailbox'"
        )
    rows: list[Requested] = []
    errors: list[dict[str, str]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(
                {"field": f"line {reader.line_num}", "message": f"not valid CSV: {error}"}
            )
            break
        line = f"line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(rows) + len(errors) >= MAX_ADDRESSES:
            raise field_error("body", f"at most {MAX_ADDRESSES} rows can be imported at once")
        if len(row) > len(header):
            errors.append({"field": line, "message": f"expected the columns {','.join(header)}"})
            continue
        try:
            email = normalize_email(_unguard(row[0]))
        except ValueError as error:
            errors.append({"field": line, "message": str(error)})
            continue
        try:
            label = plain_text(_unguard(row[1])) if len(row) > 1 else ""
        except ValueError as error:
            errors.append({"field": line, "message": f"the label {error}"})
            continue
        shared = row[2].strip().lower() if len(row) > 2 else ""
        if shared not in _TRUE | _FALSE:
            errors.append({"field": line, "message": "shared_mailbox must be true or false"})
            continue
        if len(label) > MAX_LABEL_LENGTH:
            errors.append(
                {
                    "field": line,
                    "message": f"the label is longer than {MAX_LABEL_LENGTH} characters",
                }
            )
            continue
        rows.append(Requested(email, label or None, shared in _TRUE))
    if errors:
        raise FieldError(
            errors[:MAX_REPORTED_ROWS],
            detail=f"{len(errors)} rows are invalid; nothing was assigned",
        )
    if not rows:
        raise field_error("body", "the CSV names no addresses")
    return rows
