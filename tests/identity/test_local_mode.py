"""Local mode's routes exist only with DEV_MODE, and DEV_MODE never starts in Azure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.production_settings import PRODUCTION

LIST_ROUTES = """
import json, function_app
routes = [f.get_trigger().get_dict_repr().get("route") for f in function_app.app.get_functions()]
print(json.dumps(sorted(r for r in routes if r)))
"""


def import_app(**environment: str) -> subprocess.CompletedProcess[str]:
    names = ("DEV_MODE", "AzureWebJobsStorage", "WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID")
    env = {name: value for name, value in os.environ.items() if name not in names}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", LIST_ROUTES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_dev_mode_no_local_route_is_registered() -> None:
    result = import_app(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout)
    assert {
        "api/auth/login",
        "api/auth/callback",
        "api/auth/logout",
        "api/me",
        "api/admin-consent",
    } <= set(routes)
    assert not [route for route in routes if route.startswith("api/dev/")]


def test_with_dev_mode_the_local_sign_in_and_token_routes_exist() -> None:
    result = import_app(DEV_MODE="true", AzureWebJobsStorage="UseDevelopmentStorage=true")
    assert result.returncode == 0, result.stderr
    assert {"api/dev/login", "api/dev/token"} <= set(json.loads(result.stdout))


@pytest.mark.parametrize("marker", ["WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID"])
def test_dev_mode_refuses_to_start_in_azure(marker: str) -> None:
    result = import_app(DEV_MODE="true", **PRODUCTION, **{marker: "smm-prod"})
    assert result.returncode != 0
    assert "DEV_MODE is refused" in result.stderr
