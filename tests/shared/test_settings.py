"""The settings object: names of API.md, fail fast, no development defaults outside local mode."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import load_settings
from tests.production_settings import PRODUCTION

REQUIRED_OUTSIDE_LOCAL_MODE = [
    "SESSION_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_PRICE_ID",
    "EMAIL_SENDER",
    "ENTRA_CLIENT_ID",
    "ENTRA_CLIENT_SECRET",
    "ADDIN_CLIENT_ID",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DEV_MODE",
        "AzureWebJobsStorage",
        "WEBSITE_SITE_NAME",
        "WEBSITE_INSTANCE_ID",
        "SESSION_SECRET",
        "STRIPE_WEBHOOK_SECRET",
        "PORTAL_ORIGIN",
        *PRODUCTION,
    ):
        monkeypatch.delenv(name, raising=False)


def test_local_mode_needs_only_storage() -> None:
    settings = load_settings(AzureWebJobsStorage="UseDevelopmentStorage=true", DEV_MODE="true")
    assert settings.dev_mode and settings.local_payments and settings.local_mailbox
    assert settings.webhook_secret == "whsec_local_dev"
    assert len(settings.signing_key) == 32


def test_environment_names_are_those_of_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_MODE", "true")
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    monkeypatch.setenv("PORTAL_ORIGIN", "https://licenses.contoso.com/some/path")
    monkeypatch.setenv("ADDIN_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    settings = load_settings()
    assert settings.portal_origin == "https://licenses.contoso.com"
    assert settings.addin_client_id == "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize("marker", ["WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID"])
def test_dev_mode_is_refused_in_azure(monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    monkeypatch.setenv(marker, "smm-prod")
    with pytest.raises(ValidationError, match="DEV_MODE is refused"):
        load_settings(DEV_MODE="true", **PRODUCTION)


def test_production_settings_pass() -> None:
    settings = load_settings(**PRODUCTION)
    assert not settings.dev_mode
    assert settings.signing_key == b"a-long-random-secret"


@pytest.mark.parametrize("missing", REQUIRED_OUTSIDE_LOCAL_MODE)
def test_required_settings_outside_local_mode(missing: str) -> None:
    values = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ValidationError, match=missing):
        load_settings(**values)


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_setting_counts_as_missing(empty: str) -> None:
    with pytest.raises(ValidationError, match="STRIPE_SECRET_KEY"):
        load_settings(**{**PRODUCTION, "STRIPE_SECRET_KEY": empty})


def test_every_missing_setting_is_named_in_one_message() -> None:
    with pytest.raises(ValidationError) as refused:
        load_settings(AzureWebJobsStorage__accountName="smmprod")
    message = str(refused.value)
    for name in [*REQUIRED_OUTSIDE_LOCAL_MODE, "ACS_CONNECTION_STRING or ACS_ENDPOINT"]:
        assert name in message
    assert message.count("missing settings outside local mode") == 1


def test_communication_services_by_connection_string_or_endpoint() -> None:
    without = {k: v for k, v in PRODUCTION.items() if k != "ACS_ENDPOINT"}
    with pytest.raises(ValidationError, match="ACS_CONNECTION_STRING or ACS_ENDPOINT"):
        load_settings(**without)
    settings = load_settings(
        **without, ACS_CONNECTION_STRING="endpoint=https://smm.communication.azure.com/"
    )
    assert not settings.local_mailbox


def test_outside_local_mode_no_local_stand_in_is_chosen() -> None:
    settings = load_settings(**PRODUCTION)
    assert not settings.local_payments and not settings.local_mailbox


def test_local_mode_uses_stripe_test_mode_when_a_key_is_set() -> None:
    settings = load_settings(
        AzureWebJobsStorage="UseDevelopmentStorage=true",
        DEV_MODE="true",
        STRIPE_SECRET_KEY="sk_test_123",
        STRIPE_WEBHOOK_SECRET="whsec_from_stripe_listen",
        STRIPE_PRICE_ID="price_123",
    )
    assert settings.dev_mode and not settings.local_payments and settings.local_mailbox


@pytest.mark.parametrize(
    ("extra", "refusal"),
    [
        ({"STRIPE_SECRET_KEY": "sk_live_123"}, "live STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "sk_test_123"}, "STRIPE_PRICE_ID is required"),
        (
            {"STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_PRICE_ID": "price_1"},
            "STRIPE_WEBHOOK_SECRET must be Stripe's",
        ),
    ],
)
def test_local_mode_with_stripe_refuses_what_cannot_work(
    extra: dict[str, str], refusal: str
) -> None:
    with pytest.raises(ValidationError, match=refusal):
        load_settings(AzureWebJobsStorage="UseDevelopmentStorage=true", DEV_MODE="true", **extra)


def test_local_mode_uses_communication_services_when_configured() -> None:
    settings = load_settings(
        AzureWebJobsStorage="UseDevelopmentStorage=true",
        DEV_MODE="true",
        ACS_ENDPOINT="https://smm.communication.azure.com",
        EMAIL_SENDER="DoNotReply@example.com",
    )
    assert settings.local_payments and not settings.local_mailbox


@pytest.mark.parametrize(
    "override",
    [
        {"STRIPE_WEBHOOK_SECRET": "whsec_local_dev"},
        {"AzureWebJobsStorage": "UseDevelopmentStorage=true"},
    ],
)
def test_development_defaults_refused_outside_local_mode(override: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="refused outside local mode"):
        load_settings(**{**PRODUCTION, **override})


def test_communication_services_needs_a_sender() -> None:
    with pytest.raises(ValidationError, match="EMAIL_SENDER"):
        load_settings(
            AzureWebJobsStorage="UseDevelopmentStorage=true",
            DEV_MODE="true",
            ACS_ENDPOINT="https://smm.communication.azure.com",
        )


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    settings = load_settings(**PRODUCTION)
    assert "a-long-random-secret" not in repr(settings)
    assert "whsec_real" not in repr(settings)


def test_unresolved_key_vault_references_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET", "@Microsoft.KeyVault(SecretUri=https://kv/secrets/s)")
    with pytest.raises(ValidationError, match="Key Vault references were not resolved"):
        load_settings(**{k: v for k, v in PRODUCTION.items() if k != "SESSION_SECRET"})
