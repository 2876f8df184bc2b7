"""Shared input types and the translation of pydantic errors into named fields."""

from __future__ import annotations

from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

MAX_EMAIL_LENGTH = 254


def normalize_email(value: str) -> str:
    """Trimmed, lower-cased and syntax-checked (no DNS look-up); ValueError when invalid."""
    candidate = value.strip().lower()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise ValueError("not a valid email address")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    return checked.normalized.lower()


EmailAddress = Annotated[str, AfterValidator(normalize_email)]


class StrictModel(BaseModel):
    """A request body: unknown fields are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def validation_errors(error: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as [{"field": "emails[3]", "message": ...}], input values left out."""
    return [
        {"field": _field_path(item["loc"]) or "body", "message": _message(item)}
        for item in error.errors(include_url=False, include_input=False)
    ]


def _field_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _message(item: Any) -> str:
    message = str(item["msg"])
    return message.removeprefix("Value error, ")
