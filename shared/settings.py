"""The service's settings: read once from the environment, validated, typed."""

from __future__ import annotations

import secrets
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.certificates.keys import (
    InvalidSigningKey,
    PublicKey,
    SigningKey,
    parse_signing_key,
    published_keys,
)

LOCAL_STORAGE = "UseDevelopmentStorage=true"
LOCAL_WEBHOOK_SECRET = "whsec_local_dev"
# The only hosts a portal may be served from over plain http, with cookies without Secure.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def is_loopback_http(origin: str) -> bool:
    """A plain-http origin on this machine."""
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    return parts.scheme == "http" and (host if ":" not in host else f"[{host}]") in LOOPBACK_HOSTS


class SettingsError(ValueError):
    """A setting is missing or unsafe for where the process runs."""


class Settings(BaseSettings):
    """Every setting of API.md "Settings", by its environment name."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    storage_connection: str | None = Field(default=None, alias="AzureWebJobsStorage")
    storage_account_name: str | None = Field(default=None, alias="AzureWebJobsStorage__accountName")
    storage_table_uri: str | None = Field(
        default=None, alias="AzureWebJobsStorage__tableServiceUri"
    )
    storage_queue_uri: str | None = Field(
        default=None, alias="AzureWebJobsStorage__queueServiceUri"
    )
    storage_client_id: str | None = Field(default=None, alias="AzureWebJobsStorage__clientId")

    dev_mode: bool = Field(default=False, alias="DEV_MODE")
    portal_origin: str = Field(default="http://127.0.0.1:7071", alias="PORTAL_ORIGIN")

    stripe_secret_key: SecretStr | None = Field(default=None, alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: SecretStr | None = Field(default=None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_price_id: str | None = Field(default=None, alias="STRIPE_PRICE_ID")

    entra_client_id: str | None = Field(default=None, alias="ENTRA_CLIENT_ID")
    entra_client_secret: SecretStr | None = Field(default=None, alias="ENTRA_CLIENT_SECRET")
    entra_authority: str = Field(
        default="https://login.microsoftonline.com/organizations", alias="ENTRA_AUTHORITY"
    )
    addin_client_id: str | None = Field(default=None, alias="ADDIN_CLIENT_ID")
    # The add-in app's Application ID URI (`api://<add-in host>/<client id>` for Office SSO);
    # unset: `api://<client id>`, Entra's default. Tokens for any other URI are refused.
    addin_app_id_uri: str | None = Field(default=None, alias="ADDIN_APP_ID_URI")

    acs_connection_string: SecretStr | None = Field(default=None, alias="ACS_CONNECTION_STRING")
    acs_endpoint: str | None = Field(default=None, alias="ACS_ENDPOINT")
    email_sender: str | None = Field(default=None, alias="EMAIL_SENDER")

    session_secret: SecretStr | None = Field(default=None, alias="SESSION_SECRET")
    # Activity rows older than this go in the daily sweep (docs/data-model.md).
    activity_retention_days: int = Field(default=400, ge=1, alias="ACTIVITY_RETENTION_DAYS")

    # ES256 keys of license certificates (PEM). NEXT is published before it signs, PREVIOUS
    # (one or more PEM blocks) stays published after it stopped: docs/deploy.md, rotation.
    license_signing_key: SecretStr | None = Field(default=None, alias="LICENSE_SIGNING_KEY")
    license_signing_key_next: SecretStr | None = Field(
        default=None, alias="LICENSE_SIGNING_KEY_NEXT"
    )
    license_signing_keys_previous: SecretStr | None = Field(
        default=None, alias="LICENSE_SIGNING_KEYS_PREVIOUS"
    )

    running_in_azure: bool = Field(
        default=False,
        validation_alias=AliasChoices("WEBSITE_INSTANCE_ID", "WEBSITE_SITE_NAME"),
    )

    @model_validator(mode="before")
    @classmethod
    def _key_vault_references_resolved(cls, values: Any) -> Any:
        # App Service passes a Key Vault reference through verbatim when it cannot resolve it;
        # starting with that text as a secret would fail much later and more confusingly.
        if isinstance(values, dict):
            unresolved = sorted(
                str(name)
                for name, value in values.items()
                if isinstance(value, str) and value.startswith("@Microsoft.KeyVault(")
            )
            if unresolved:
                raise SettingsError(
                    f"Key Vault references were not resolved: {', '.join(unresolved)}"
                )
            # An app setting left empty is unset: "" must not choose real Stripe with no key.
            return {
                name: value
                for name, value in values.items()
                if not (isinstance(value, str) and value.strip() == "")
            }
        return values

    @field_validator("running_in_azure", mode="before")
    @classmethod
    def _present_means_azure(cls, value: object) -> bool:
        return bool(value)

    @field_validator("portal_origin")
    @classmethod
    def _origin_only(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("PORTAL_ORIGIN must be an origin such as https://licenses.example.com")
        return f"{parts.scheme}://{parts.netloc}"

    @model_validator(mode="after")
    def _safe_for_where_it_runs(self) -> Settings:
        if self.dev_mode and self.running_in_azure:
            raise SettingsError("DEV_MODE is refused when the process runs in Azure")
        if not self.dev_mode:
            missing = self.missing_outside_local_mode()
            if missing:
                # All of them at once: a deployment is fixed in one round, not one per start.
                raise SettingsError(f"missing settings outside local mode: {', '.join(missing)}")
            if self.stripe_webhook_secret and (
                self.stripe_webhook_secret.get_secret_value() == LOCAL_WEBHOOK_SECRET
            ):
                raise SettingsError("the local Stripe webhook secret is refused outside local mode")
            if self.storage_connection == LOCAL_STORAGE:
                raise SettingsError("development storage is refused outside local mode")
            if self.portal_origin.startswith("http://") and not is_loopback_http(
                self.portal_origin
            ):
                raise SettingsError(
                    "PORTAL_ORIGIN must be https:// outside local mode (plain http only on "
                    "127.0.0.1, localhost or [::1])"
                )
        elif self.stripe_secret_key is not None:
            key = self.stripe_secret_key.get_secret_value()
            if key.startswith(("sk_live_", "rk_live_")):
                raise SettingsError("a live STRIPE_SECRET_KEY is refused in local mode")
            if not self.stripe_price_id:
                raise SettingsError("STRIPE_PRICE_ID is required with STRIPE_SECRET_KEY")
            if self.webhook_secret == LOCAL_WEBHOOK_SECRET:
                raise SettingsError(
                    "STRIPE_WEBHOOK_SECRET must be Stripe's (`stripe listen` prints it) "
                    "with STRIPE_SECRET_KEY"
                )
        if not self.local_mailbox and not self.email_sender:
            raise SettingsError("EMAIL_SENDER is required with Azure Communication Services")
        if self.storage_connection is None and not (
            self.storage_table_uri or self.storage_account_name
        ):
            raise SettingsError(
                "AzureWebJobsStorage or AzureWebJobsStorage__accountName must be set"
            )
        try:
            # Parsed now, so that a wrong PEM stops the start, not the first license check.
            _ = self.certificate_signing_key, self.certificate_published_keys
        except InvalidSigningKey as error:
            raise SettingsError(str(error)) from None
        return self

    def missing_outside_local_mode(self) -> list[str]:
        """The settings production cannot run without: no local stand-in is chosen there."""
        required: tuple[tuple[str, object], ...] = (
            ("SESSION_SECRET", self.session_secret),
            ("STRIPE_SECRET_KEY", self.stripe_secret_key),
            ("STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret),
            ("STRIPE_PRICE_ID", self.stripe_price_id),
            (
                "ACS_CONNECTION_STRING or ACS_ENDPOINT",
                self.acs_connection_string or self.acs_endpoint,
            ),
            ("EMAIL_SENDER", self.email_sender),
            ("ENTRA_CLIENT_ID", self.entra_client_id),
            # The sign-in app authenticates with its secret only (shared/identity/entra.py).
            ("ENTRA_CLIENT_SECRET", self.entra_client_secret),
            ("ADDIN_CLIENT_ID", self.addin_client_id),
            ("LICENSE_SIGNING_KEY", self.license_signing_key),
        )
        return [name for name, value in required if not value]

    @cached_property
    def signing_key(self) -> bytes:
        """Key for signing session-bound values; random per process in local mode."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value().encode()
        return secrets.token_bytes(32)

    @cached_property
    def certificate_signing_key(self) -> SigningKey | None:
        """The key that signs license certificates; None in local mode without the setting."""
        if self.license_signing_key is None:
            return None
        return parse_signing_key(self.license_signing_key.get_secret_value(), "LICENSE_SIGNING_KEY")

    @cached_property
    def certificate_published_keys(self) -> list[PublicKey]:
        """The keys published besides the signing key: the next one, then previous ones."""
        keys: list[PublicKey] = []
        if self.license_signing_key_next is not None:
            keys += published_keys(
                self.license_signing_key_next.get_secret_value(), "LICENSE_SIGNING_KEY_NEXT"
            )
        if self.license_signing_keys_previous is not None:
            keys += published_keys(
                self.license_signing_keys_previous.get_secret_value(),
                "LICENSE_SIGNING_KEYS_PREVIOUS",
            )
        return keys

    @property
    def webhook_secret(self) -> str:
        if self.stripe_webhook_secret is not None:
            return self.stripe_webhook_secret.get_secret_value()
        return LOCAL_WEBHOOK_SECRET

    @property
    def local_payments(self) -> bool:
        """Local mode without a Stripe key; outside local mode the key is required."""
        return self.dev_mode and self.stripe_secret_key is None

    @property
    def local_mailbox(self) -> bool:
        """Local mode without Communication Services; outside local mode ACS is required."""
        return self.dev_mode and self.acs_connection_string is None and self.acs_endpoint is None

    @property
    def origin_is_plain_http(self) -> bool:
        """Plain http on a loopback host: the one case whose cookies go without Secure; any
        other http origin gets Secure cookies (which a browser will not keep over http)."""
        return is_loopback_http(self.portal_origin)


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment; keyword overrides (by setting name) win."""
    return Settings(**overrides)  # type: ignore[arg-type]
