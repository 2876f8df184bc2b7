#!/usr/bin/env bash
# Static security scan of infra/*.bicep with checkov, offline.
#
# checkov lives in its own virtual environment (.venv-checkov, git-ignored):
# its pins clash with the app's. The environment is rebuilt when it is missing
# or when requirements-checkov.txt changed since it was built (stamp file).
# Exits non-zero when a check fails or a template does not parse.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

venv="$root/.venv-checkov"
requirements="$root/requirements-checkov.txt"
stamp="$venv/.requirements.sha256"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3

wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/checkov" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "scan_infra: installing checkov into .venv-checkov" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # Some machines' pip configuration names local wheel folders that may be
  # absent; pip warns once per package about them. Keep the rest of stderr.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; } >&2
  echo "$wanted" >"$stamp"
fi

# Never reach out to the network: no Prisma/Bridgecrew policy or id-mapping
# download (--skip-download, BC_SKIP_MAPPING), no PyPI version check, and no
# API key so nothing is uploaded. A template that checkov cannot parse fails
# the run instead of being skipped in silence (CKV_PARSE_ERROR_FAIL).
export BC_SKIP_MAPPING=TRUE
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true
export CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
export CKV_PARSE_ERROR_FAIL=true
unset BC_API_KEY PRISMA_API_URL

config=()
[ -f "$root/.checkov.yaml" ] && config=(--config-file "$root/.checkov.yaml")

# checkov's bicep parser (pycep) is older than the one the tests use; make
# sure it reads every template, since a file it cannot parse is not scanned.
"$venv/bin/python" - <<'PY'
import pathlib
import sys

from pycep import BicepParser

parser = BicepParser()
failed = []
for path in sorted(pathlib.Path("infra").rglob("*.bicep")):
    try:
        parser.parse(file_path=path)
    except Exception as error:  # report every file, then fail once
        failed.append(f"{path}: {type(error).__name__}: {str(error)[:200]}")
if failed:
    print("scan_infra: checkov cannot parse:", *failed, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY

exec timeout 300 "$venv/bin/checkov" "${config[@]}" -d infra --framework bicep --quiet --compact --skip-download
