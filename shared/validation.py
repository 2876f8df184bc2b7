"""Shared input types and the translation of pydantic errors into named fields."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Annotated, Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

MAX_EMAIL_LENGTH = 254
# Characters no free text of the API may hold: C0 and C1 controls, the invisible format
# characters that reorder or hide text (bidi overrides, zero-width, soft hyphen, BOM) and the
# line and paragraph separators. A JSON Schema pattern (ECMA-262 and Python alike) says the same.
FORBIDDEN_TEXT_CHARACTERS = (
    r"\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f"
    r"\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
)
PLAIN_TEXT_PATTERN = f"^[^{FORBIDDEN_TEXT_CHARACTERS}]*$"
# A name: plain text with something besides blanks in it.
_TEXT = f"[^{FORBIDDEN_TEXT_CHARACTERS}]"
NAME_PATTERN = f"^{_TEXT}*[^{FORBIDDEN_TEXT_CHARACTERS}\\s]{_TEXT}*$"


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in word)


# An address must be deliverable on the internet, which JSON Schema's `email` format does not
# say: a domain with a period, its last label ending in a letter, and no special-use name
# (RFC 6761: `.test`, `.local`, ...), as email_validator checks.
_SPECIAL_USE = "(?:" + "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES) + ")"
# The local part keeps to the characters addresses are made of in practice (RFC 5322 allows
# more, which validators of the `email` format do not agree on).
EMAIL_PATTERN = rf"^(?!.*[@.]{_SPECIAL_USE}\s*$)\s*[A-Za-z0-9._%+'-]+@[^@\s]+\.[^@\s]*[A-Za-z]\s*$"
# A domain of at least two labels, with the same rules; no label has `--` in its third and
# fourth place (IDNA reserves it, and the Punycode behind `xn--` is more than a pattern can say).
_LABEL = r"(?![A-Za-z0-9]{2}--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"(?![A-Za-z0-9]{2}--)(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
DOMAIN_PATTERN = rf"^(?!(?:.*\.)?{_SPECIAL_USE}$)(?:{_LABEL}\.)+{_TOP_LABEL}$"
_EMAIL_SHAPE = re.compile(EMAIL_PATTERN)


def matching(pattern: str, message: str) -> tuple[AfterValidator, Any]:
    """A check by a pattern that pydantic's own regex engine (no look-around) cannot take, and
    the same pattern for the JSON schema."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(message)
        return value

    return AfterValidator(check), Field(json_schema_extra={"pattern": pattern})


def _email_shape(value: str) -> str:
    if _EMAIL_SHAPE.fullmatch(value) is None:
        raise ValueError("not a valid email address")
    return value


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


# The document says `format: email`: syntax is checked, as JSON Schema's format means, and
# surrounding blanks and capitals are forgiven (trimmed and lower-cased before use).
EmailAddress = Annotated[
    str,
    AfterValidator(_email_shape),
    AfterValidator(normalize_email),
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "maxLength": MAX_EMAIL_LENGTH,
            "pattern": EMAIL_PATTERN,
        }
    ),
]


def _whole_number(value: object) -> object:
    """JSON has one number type: 2885.0 is the integer 2885 (as JSON Schema's `integer` says),
    while 2.5, "5" and true are not integers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


# An integer of a JSON body: what JSON Schema's `"type": "integer"` accepts, nothing more.
WholeNumber = Annotated[int, BeforeValidator(_whole_number), Strict()]


_FORBIDDEN_TEXT = re.compile(f"[{FORBIDDEN_TEXT_CHARACTERS}]")


def clean_text(value: str) -> str:
    """Free text as it is stored: NFC-normalized and trimmed (composed and decomposed
    spellings of one name are one name)."""
    return unicodedata.normalize("NFC", value).strip()


def plain_text(value: str) -> str:
    """Free text that entered other than as a model field (a CSV cell): ValueError when it
    holds a character of FORBIDDEN_TEXT_CHARACTERS, else `clean_text`."""
    if _FORBIDDEN_TEXT.search(value):
        raise ValueError(
            "must not contain control, invisible or bidirectional formatting characters"
        )
    return clean_text(value)


def _trim(value: str) -> str:
    return clean_text(value)


def name_type(max_length: int) -> Any:
    """A name (a subscription's, an API key's): plain text, not blank, at most `max_length`
    characters as sent (the document's bounds), stored trimmed."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, pattern=NAME_PATTERN),
        AfterValidator(_trim),
    ]


class StrictModel(BaseModel):
    """A request body: unknown fields are refused so typos do not pass silently.

    Strings are taken as sent (no blanket trimming, which the document could not describe);
    the types that trim (EmailAddress, name_type, labels) say so."""

    model_config = ConfigDict(extra="forbid")


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
