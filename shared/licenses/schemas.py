"""Request and response bodies of the license endpoints (validated at the edge)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.licenses.auto_assign import LARGEST_PUBLIC_DOMAINS, MAX_DOMAINS, normalize_domain
from shared.licenses.model import MAX_ADDRESSES, MAX_LABEL_LENGTH, LicenseView
from shared.validation import (
    DOMAIN_PATTERN,
    MAX_EMAIL_LENGTH,
    PLAIN_TEXT_PATTERN,
    EmailAddress,
    StrictModel,
    clean_text,
    matching,
)


def _trimmed(value: str) -> str | None:
    return clean_text(value) or None


# What the document says is what is checked: at most 100 characters, none of them control or
# invisible formatting characters; trimmed, and blank means no label.
Label = Annotated[
    str,
    StringConstraints(max_length=MAX_LABEL_LENGTH, pattern=PLAIN_TEXT_PATTERN),
    AfterValidator(_trimmed),
]
# A mail domain of at least two labels (`contoso.com`, `mail.contoso.co.uk`), lower-cased;
# public email services are refused, as auto-assigning everyone of gmail.com gives seats away.
_DOMAIN_CHECK, _DOMAIN_SCHEMA = matching(DOMAIN_PATTERN, "not a valid domain name")
Domain = Annotated[
    str,
    # postmaster@ the domain must be an address of at most 254 characters.
    StringConstraints(max_length=MAX_EMAIL_LENGTH - len("postmaster@")),
    _DOMAIN_CHECK,
    AfterValidator(normalize_domain),
    _DOMAIN_SCHEMA,
    # The document lists the largest services; every public one is refused (auto_assign).
    Field(json_schema_extra={"not": {"enum": sorted(LARGEST_PUBLIC_DOMAINS)}}),
]


class AssignBody(StrictModel):
    emails: list[EmailAddress] = Field(min_length=1, max_length=MAX_ADDRESSES)
    label: Label | None = None
    # A shared mailbox's license also licenses the add-in's users of its domain who open it.
    shared_mailbox: bool = Field(default=False, strict=True)


class AssignResult(BaseModel):
    assigned: list[LicenseView]
    already_assigned: list[LicenseView]


class LabelBody(StrictModel):
    """Either or both: a field left out keeps its value."""

    label: Label | None = None
    shared_mailbox: bool | None = Field(default=None, strict=True)


class ReassignBody(StrictModel):
    email: EmailAddress


def _exactly_one_selection(schema: dict[str, Any]) -> None:
    """What the validator below checks, in the document: `emails` or `label`, never both, and
    `emails` a list when given."""
    emails = schema["properties"]["emails"]
    emails.pop("default", None)
    emails.update(next(option for option in emails.pop("anyOf") if option["type"] == "array"))
    schema["oneOf"] = [{"required": ["emails"]}, {"required": ["label"]}]


class MoveBody(StrictModel):
    """Exactly one of `emails` and `label`; a blank or null label selects unlabelled licenses."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_exactly_one_selection)

    to: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    emails: list[EmailAddress] | None = Field(default=None, min_length=1, max_length=MAX_ADDRESSES)
    label: Label | None = None

    @field_validator("emails", mode="before")
    @classmethod
    def _a_list(cls, value: object) -> object:
        if value is None:
            raise ValueError("give a list of addresses, or leave emails out to move by label")
        return value

    @model_validator(mode="after")
    def _one_selection(self) -> MoveBody:
        if ("emails" in self.model_fields_set) == ("label" in self.model_fields_set):
            raise ValueError("give exactly one of emails and label")
        return self


class MoveResult(BaseModel):
    moved: list[LicenseView]
    not_assigned: list[str]


class AutoAssignBody(StrictModel):
    domains: list[Domain] = Field(max_length=MAX_DOMAINS)


class LicensePage(BaseModel):
    items: list[LicenseView]
    next_cursor: str | None


class LicenseCheckQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mailbox: EmailAddress | None = None


class LicenseCheck(BaseModel):
    """`licensed` true: email, status, subscription, expires_at; false: email, reason."""

    licensed: bool
    email: str
    status: str | None = None
    subscription: str | None = None
    expires_at: str | None = None
    reason: str | None = None
    certificate: str = Field(
        description=(
            "The answer signed for offline use: a compact JWS (ES256, typ smm-license+jwt) "
            "that verifies with the keys of GET /api/license/keys (docs/licenses.md)"
        )
    )
