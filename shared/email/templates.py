"""Email templates: Jinja2, autoescaped HTML with a plain-text twin, one subject line each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

TEMPLATES = (
    "welcome",
    "invitation",
    "purchase_confirmed",
    "payment_failed",
    "subscription_ended",
    "ownership_transferred",
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


_environment = Environment(
    loader=PackageLoader("shared.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, params: dict[str, Any]) -> RenderedEmail:
    """Render the named email; a missing parameter is an error, never a blank."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    subject = _environment.get_template(f"{template}.subject.txt").render(params)
    return RenderedEmail(
        # A subject is one line whatever a user put in a name.
        subject=" ".join(subject.split()),
        text=_environment.get_template(f"{template}.txt").render(params),
        html=_environment.get_template(f"{template}.html").render(params),
    )
