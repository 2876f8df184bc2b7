"""Starts and stops a real Azurite (from the project's node_modules) on free loopback ports."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / "node_modules" / ".bin" / "azurite"
# Azurite's well-known development account: public, documented, and accepted by nothing else.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections while the context lasts: bound, never listening,
    so no other process (another test session's Azurite, say) can take it meanwhile."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Azurite:
    def __init__(self) -> None:
        self.ports = {"blob": free_port(), "queue": free_port(), "table": free_port()}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        endpoints = ";".join(
            f"{kind.capitalize()}Endpoint=http://127.0.0.1:{port}/{ACCOUNT}"
            for kind, port in self.ports.items()
        )
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"{endpoints};"
        )

    def start(self, timeout: float = 30) -> None:
        if not AZURITE.exists():
            raise RuntimeError("Azurite is not installed: run `make test` (npm ci) first")
        arguments = [str(AZURITE), "--inMemoryPersistence", "--silent", "--skipApiVersionCheck"]
        for kind, port in self.ports.items():
            arguments += [f"--{kind}Host", "127.0.0.1", f"--{kind}Port", str(port)]
        self.process = subprocess.Popen(
            arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Azurite exited during start-up")
            if all(_listening(port) for port in self.ports.values()):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("Azurite did not start in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # On SIGTERM Azurite waits for idle keep-alive connections (the SDK clients' pools)
            # to close; its data is in memory, so there is nothing to lose by not waiting long.
            self.process.terminate()
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
