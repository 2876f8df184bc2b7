"""Email templates: every one renders, user-supplied values are escaped in HTML only, a missing
parameter is an error, and subjects are one line."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError
from markupsafe import escape

from shared.email.templates import TEMPLATES, render

HOSTILE = '<script>alert(1)</script> & "Co"'


def params_for(template: str, name: str = "Contoso") -> dict[str, Any]:
    """Every parameter each template takes, with `name` wherever a user chose the text."""
    every: dict[str, dict[str, Any]] = {
        "welcome": {
            "email": "ann@contoso.com",
            "assigned_by": f"Bob of {name}",
            "subscription_name": name,
        },
        "invitation": {
            "email": "ann@contoso.com",
            "invited_by": f"Bob of {name}",
            "subscription_name": name,
            "permissions": ["assign", "billing"],
            "accept_url": "https://licenses.example.com/accept?token=abc",
            "expires_at": "2026-11-30 17:50",
        },
        "purchase_confirmed": {
            "subscription_name": name,
            "quantity": 25,
            "manage_url": "https://licenses.example.com/subscriptions/s1",
        },
        "payment_failed": {
            "subscription_name": name,
            "billing_url": "https://licenses.example.com/subscriptions/s1/billing",
        },
        "subscription_ended": {
            "subscription_name": name,
            "portal_url": "https://licenses.example.com/",
        },
        "ownership_transferred": {
            "subscription_name": name,
            "previous_owner": "bob@contoso.com",
            "new_owner": "carol@contoso.com",
            "manage_url": "https://licenses.example.com/subscriptions/s1",
        },
    }
    return every[template]


def test_every_template_has_parameters_here() -> None:
    assert set(TEMPLATES) == {
        "welcome",
        "invitation",
        "purchase_confirmed",
        "payment_failed",
        "subscription_ended",
        "ownership_transferred",
    }


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_renders_a_subject_a_text_and_an_html_part(template: str) -> None:
    email = render(template, params_for(template))
    assert email.subject.strip() and "\n" not in email.subject
    assert email.text.strip()
    assert email.html.lstrip().lower().startswith("<!doctype html>")
    assert "</html>" in email.html
    # Every part is finished: no template syntax leaks through.
    for part in (email.subject, email.text, email.html):
        assert "{{" not in part and "{%" not in part


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_user_supplied_name_is_escaped_in_html_and_readable_in_text(template: str) -> None:
    email = render(template, params_for(template, HOSTILE))
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in email.html
    assert HOSTILE in email.text
    assert "&lt;" not in email.text and "&amp;" not in email.text


def test_the_subject_is_plain_text_not_html() -> None:
    email = render("payment_failed", params_for("payment_failed", 'Smith & Sons "Ltd"'))
    assert (
        email.subject == 'Payment failed for your SecureMailMerge subscription Smith & Sons "Ltd"'
    )


def test_list_parameters_are_escaped_item_by_item() -> None:
    params = params_for("invitation") | {"permissions": ["<b>assign</b>", "billing"]}
    email = render("invitation", params)
    assert "&lt;b&gt;assign&lt;/b&gt;, billing" in email.html
    assert "<b>assign</b>, billing" in email.text


@pytest.mark.parametrize(
    ("template", "missing"),
    [(template, name) for template in TEMPLATES for name in params_for(template)],
)
def test_a_missing_parameter_raises_instead_of_rendering_a_blank(
    template: str, missing: str
) -> None:
    params = params_for(template)
    del params[missing]
    with pytest.raises(UndefinedError):
        render(template, params)


def test_an_unknown_template_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown email template"):
        render("../welcome", {})


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_name_with_newlines_still_gives_a_one_line_subject(template: str) -> None:
    name = "Contoso\r\nBcc: everyone@example.com\n\n\tLtd"
    subject = render(template, params_for(template, name)).subject
    assert "\r" not in subject and "\n" not in subject and "\t" not in subject
    if template != "welcome":  # the welcome subject names no subscription
        assert "Contoso Bcc: everyone@example.com Ltd" in subject


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_any_name_gives_a_single_line_subject_and_escaped_html(name: str) -> None:
    email = render("invitation", params_for("invitation", name))
    assert len(email.subject.splitlines()) <= 1
    assert email.subject == email.subject.strip()
    assert str(escape(name)) in email.html
    assert name in email.text
