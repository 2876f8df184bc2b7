"""`make run`: Azurite (data under .local/) and the local Functions host, stopped together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / "node_modules" / ".bin" / "azurite"
STORAGE_PORTS = {"blob": 10000, "queue": 10001, "table": 10002}


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(ports: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(port_open(port) for port in ports):
            return True
        time.sleep(0.1)
    return False


def main() -> int:
    processes: list[subprocess.Popen[bytes]] = []
    if all(port_open(port) for port in STORAGE_PORTS.values()):
        print("Azurite already listening on 10000-10002; using it.", flush=True)
    else:
        data = ROOT / ".local" / "azurite"
        data.mkdir(parents=True, exist_ok=True)
        processes.append(
            subprocess.Popen(
                [
                    str(AZURITE),
                    "--silent",
                    "--skipApiVersionCheck",
                    "--location",
                    str(data),
                ]
                + [
                    arg
                    for kind, port in STORAGE_PORTS.items()
                    for arg in (f"--{kind}Host", "127.0.0.1", f"--{kind}Port", str(port))
                ],
                cwd=ROOT,
            )
        )
        if not wait_for(list(STORAGE_PORTS.values()), 30):
            print("Azurite did not start", file=sys.stderr)
            stop(processes)
            return 1

    env = {**os.environ, "DEV_MODE": os.environ.get("DEV_MODE", "true")}
    processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "local_host", "--app-dir", str(ROOT)], cwd=ROOT, env=env
        )
    )
    port = int(os.environ.get("PORT", "7071"))
    if wait_for([port], 60):
        print(
            f"\nSecureMailMerge Licensing is running: open http://127.0.0.1:{port}/ in your "
            "browser (the portal; the API is under /api). Ctrl-C stops it.\n",
            flush=True,
        )

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    return stop(processes)


def stop(processes: list[subprocess.Popen[bytes]]) -> int:
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
