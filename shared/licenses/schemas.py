"""Request and response bodies of the license endpoints (validated at the edge)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.licenses.auto_assign import MAX_DOMAINS, normalize_domain
from shared.licenses.model import MAX_ADDRESSES, LicenseView, clean_label
from shared.validation import EmailAddress, StrictModel

Label = Annotated[str, AfterValidator(clean_label)]
Domain = Annotated[str, AfterValidator(normalize_domain)]


class AssignBody(StrictModel):
    emails: list[EmailAddress] = Field(min_length=1, max_length=MAX_ADDRESSES)
    label: Label | None = None


class AssignResult(BaseModel):
    assigned: list[LicenseView]
    already_assigned: list[LicenseView]


class LabelBody(StrictModel):
    label: Label | None


class ReassignBody(StrictModel):
    email: EmailAddress


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
