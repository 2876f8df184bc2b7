"""Schemathesis against the real function app on the local host, over a real Azurite.

The fuzzer reads `GET /api/openapi.json` and checks that the service does what the document
says: valid requests are accepted, invalid ones refused with a documented 4xx, every answer's
status, content type and body are as declared, and authentication is enforced. It runs twice
against one active subscription with licenses and administrators: signed in as its owner (the
session cookie and the portal's Origin), and with an API key of that subscription.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from shared.services import Services, use_services
from tests.api_client import ApiClient
from tests.azurite import Azurite
from tests.conftest import Clock, make_settings
from tests.factories import make_subscription
from tests.identity.fake_entra import (
    ADDIN_CLIENT_ID,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    faked_entra,
)

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = HERE / "schemathesis.toml"
OWNER = "owner@contoso.com"
# A run takes about a minute on a quiet two-core machine, and up to four times that beside the
# rest of the suite on four workers; the suite's 120 s per test is not meant for it.
RUN_TIMEOUT = 360
pytestmark = pytest.mark.timeout(RUN_TIMEOUT + 60)
# Local-mode stand-ins (`/api/dev/...`, registered only with DEV_MODE): signing in anew, paying
# checkouts and playing payment events change the very session and subscription under test,
# so a run's outcome would depend on the order of its requests. Their models are checked by
# tests/functions/test_service.py's document tests like every other route's.
EXCLUDED_PATHS = "^/api/dev/"
# Signing out ends the session the owner's run is signed in with: every later request of that
# run would be a 401.
EXCLUDED_FOR_SESSION = "sign_out"


def run_schemathesis(
    base_url: str, auth: str, workdir: Path, *headers: str, exclude: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """The CLI over the checked-in settings plus this run's credential (a TOML `[auth...]`)."""
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + "\n" + auth + "\n")
    arguments = [
        str(SCHEMATHESIS),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/openapi.json",
        "--checks",
        "all",
        # For a method a route does not have, the Functions host answers 404 (a problem
        # document), not the 405 with `Allow` this check expects; the local host does as Azure.
        "--exclude-checks",
        "unsupported_method",
        "--exclude-path-regex",
        EXCLUDED_PATHS,
    ]
    for operation_id in exclude:
        arguments += ["--exclude-operation-id", operation_id]
    for header in headers:
        arguments += ["--header", header]
    # The working directory is the test's own: schemathesis writes nothing into the tree.
    return subprocess.run(
        arguments, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=workdir
    )


@pytest.fixture
def configured(azurite: Azurite, services: Services, clock: Clock) -> Iterator[Services]:
    """The services as in production: sign-in with Microsoft and the add-in's app registered
    (Entra's endpoints faked at HTTP level), so no route answers "not configured"."""
    settings = make_settings(
        azurite,
        ENTRA_CLIENT_ID=PORTAL_CLIENT_ID,
        ENTRA_CLIENT_SECRET=PORTAL_CLIENT_SECRET,
        ADDIN_CLIENT_ID=ADDIN_CLIENT_ID,
    )
    built = Services(settings=settings, storage=services.storage, clock=clock)
    with faked_entra(clock):
        use_services(built)  # the `services` fixture resets the process's services afterwards
        yield built


@pytest.fixture
def owner(api: ApiClient, configured: Services) -> tuple[ApiClient, str]:
    subscription = make_subscription(configured, OWNER, quantity=40)
    client = api.login(OWNER)
    path = f"/api/subscriptions/{subscription.id}"
    emails = [f"user{n}@contoso.com" for n in range(12)]
    assigned = client.post(f"{path}/licenses", json={"emails": emails, "label": "Team A"})
    assert assigned.status_code == 200, assigned.text
    for email, permissions in (("ben@contoso.com", ["assign"]), ("cat@fabrikam.com", ["view"])):
        invited = client.post(f"{path}/admins", json={"email": email, "permissions": permissions})
        assert invited.status_code == 201, invited.text
    return client, subscription.id


def run_settings(subscription_id: str, credential: str) -> str:
    """This run's TOML: its credential, and the subscription every `{subscription_id}` names,
    so requests reach the subscription's licenses and administrators rather than a 404."""
    return f'{credential}\n\n[parameters]\n"path.subscription_id" = "{subscription_id}"'


def test_the_owner_signed_in_meets_the_document(
    owner: tuple[ApiClient, str], tmp_path: Path
) -> None:
    client, subscription_id = owner
    cookie = client.session.cookies.get("smm_session")
    assert cookie
    result = run_schemathesis(
        client.base_url,
        run_settings(subscription_id, f'[auth.openapi.session]\napi_key = "{cookie}"'),
        tmp_path,
        f"Origin: {client.origin}",
        exclude=[EXCLUDED_FOR_SESSION],
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-4000:]


def test_an_api_key_meets_the_document(owner: tuple[ApiClient, str], tmp_path: Path) -> None:
    client, subscription_id = owner
    created = client.post(
        f"/api/subscriptions/{subscription_id}/api-keys",
        json={"name": "reseller script", "permissions": ["view", "assign", "quantity"]},
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    result = run_schemathesis(
        client.base_url,
        run_settings(subscription_id, f'[auth.openapi.apiKey]\nbearer = "{key}"'),
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-4000:]
