"""Outside local mode the function app refuses to start without its outside systems."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.production_settings import PRODUCTION


def start_app(**environment: str) -> subprocess.CompletedProcess[str]:
    """Import function_app as the worker does, in an environment of only what is given."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in PRODUCTION and name not in ("DEV_MODE", "AzureWebJobsStorage")
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_dev_mode_and_without_a_stripe_key_the_app_does_not_start() -> None:
    without_stripe = {k: v for k, v in PRODUCTION.items() if k != "STRIPE_SECRET_KEY"}
    result = start_app(**without_stripe)
    assert result.returncode != 0
    assert "missing settings outside local mode: STRIPE_SECRET_KEY" in result.stderr


def test_storage_alone_is_refused_naming_every_missing_setting() -> None:
    result = start_app(AzureWebJobsStorage="DefaultEndpointsProtocol=https;AccountName=x")
    assert result.returncode != 0
    for name in (
        "SESSION_SECRET",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_PRICE_ID",
        "ACS_CONNECTION_STRING or ACS_ENDPOINT",
        "EMAIL_SENDER",
        "ENTRA_CLIENT_ID",
        "ENTRA_CLIENT_SECRET",
        "ADDIN_CLIENT_ID",
    ):
        assert name in result.stderr


def test_with_every_setting_the_app_starts() -> None:
    result = start_app(**PRODUCTION)
    assert result.returncode == 0, result.stderr[-2000:]
