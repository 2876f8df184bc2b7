"""The add-in's client module (clients/addin): its own tests (node's test runner), run against
the real local host that this fixture starts, so `make test` runs them with no Makefile change."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.services import use_services
from tests.azurite import Azurite
from tests.clients.addin_service import AddinService, control_server

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "clients" / "addin"
STAMP = ROOT / ".stamps" / "addin-node"


def _installed() -> None:
    """npm ci once per change of the lockfile (a stamp, as the Makefile's)."""
    lock = MODULE / "package-lock.json"
    fresh = STAMP.exists() and STAMP.stat().st_mtime >= lock.stat().st_mtime
    if fresh and (MODULE / "node_modules").is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(MODULE)],
        check=True,
        timeout=600,
    )
    STAMP.parent.mkdir(exist_ok=True)
    STAMP.touch()


@pytest.fixture
def addin_service(azurite: Azurite) -> Iterator[dict[str, str]]:
    service = AddinService(azurite)
    service.start()
    control = control_server(service)
    host, port = control.server_address[:2]
    try:
        yield {**service.describe(), "control": f"http://{host!s}:{port}"}
    finally:
        control.shutdown()
        service.stop()
        use_services(None)


def test_the_addin_module_against_the_local_host(addin_service: dict[str, str]) -> None:
    _installed()
    result = subprocess.run(
        ["npm", "test", "--prefix", str(MODULE)],
        env={**os.environ, "SMM_ADDIN_SERVICE": json.dumps(addin_service)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # Every scenario of issue 15 ran: none skipped, none missing.
    assert "# fail 0" in result.stdout and "# pass 5" in result.stdout, result.stdout[-3000:]
