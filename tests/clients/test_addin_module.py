"""The add-in's client module (clients/addin): its own tests (node's test runner), run against
the real local host that this fixture starts, so `make test` runs them with no Makefile change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
def addin_service() -> Iterator[dict[str, str]]:
    """Azurite and the local host in a process of their own: the function app indexes its
    functions once per process, and this session's test host has done so already."""
    helper = subprocess.Popen(
        [sys.executable, "-m", "tests.clients.addin_service"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert helper.stdin is not None and helper.stdout is not None
    try:
        described: dict[str, str] = json.loads(helper.stdout.readline())
        yield described
    finally:
        helper.stdin.close()
        try:
            helper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait(timeout=10)


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
