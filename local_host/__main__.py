"""`python -m local_host`: run function_app on 127.0.0.1:7071 (PORT overrides) like `func start`."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local_host.config import load_host_config, load_local_settings
from local_host.host import LocalHost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app-dir", default=".", type=Path)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Storage clients log every request and response at INFO; the host logs one line a request.
    logging.getLogger("azure").setLevel(logging.WARNING)
    app_dir: Path = args.app_dir.resolve()
    load_local_settings(app_dir / "local.settings.json")
    sys.path.insert(0, str(app_dir))
    app = importlib.import_module("function_app").app

    port = args.port or int(os.environ.get("PORT", "7071"))
    host = LocalHost(
        app,
        load_host_config(app_dir / "host.json"),
        os.environ.get("AzureWebJobsStorage", "UseDevelopmentStorage=true"),
        port=port,
    )
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    host.start()
    print(f"Functions host listening on {host.url}/api", flush=True)
    stopped.wait()
    host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
