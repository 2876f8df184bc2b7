"""Write the API's OpenAPI document to a file (the portal's TypeScript types are generated from it).

Usage: python scripts/export_openapi.py [OUTPUT]  (default portal/src/api/openapi.json)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else ROOT / "portal" / "src" / "api" / "openapi.json"
    # The document lists the local-mode routes too, as `make run` serves them.
    os.environ["DEV_MODE"] = "true"
    os.environ.setdefault("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    sys.path.insert(0, str(ROOT))
    from functions.openapi import openapi_document

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
