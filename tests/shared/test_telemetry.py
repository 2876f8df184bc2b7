"""Telemetry: Azure Monitor is configured once, for the project's own loggers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.telemetry import configure_telemetry

ROOT = Path(__file__).resolve().parents[2]

# Runs in its own process: configure_azure_monitor sets process-wide providers and
# instrumentations that must not leak into the rest of the suite. os._exit skips the
# exporters' flush to an endpoint that does not exist.
PROGRAM = """
import logging, os
import azure.monitor.opentelemetry as distro
calls = []
real = distro.configure_azure_monitor
def counted(**kwargs):
    calls.append(kwargs)
    real(**kwargs)
distro.configure_azure_monitor = counted
from shared.telemetry import configure_telemetry
assert configure_telemetry() is True
assert configure_telemetry() is True
shared = logging.getLogger("shared").handlers
functions = logging.getLogger("functions").handlers
print(len(calls), len(shared), len(functions), shared == functions)
os._exit(0)
"""


def test_azure_monitor_is_configured_once_for_both_packages() -> None:
    environ = {
        **os.environ,
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            "IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/"
        ),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # One configuration; one handler, shared by the two packages' loggers.
    assert result.stdout.split()[-4:] == ["1", "1", "1", "True"]


def test_without_a_connection_string_nothing_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
    assert configure_telemetry() is False
