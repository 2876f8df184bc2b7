# Everything a fresh machine with Python 3.11 and Node.js 20 needs; a second run skips what is
# already installed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

.PHONY: run test lint typecheck unit infra-scan bench deps clean

run:
	@$(MAKE) --no-print-directory -j2 deps
	$(BIN)/python scripts/run_local.py

# Lint first: it is the quickest to fail.
test:
	@$(MAKE) --no-print-directory -j2 deps
	@$(MAKE) --no-print-directory lint typecheck unit infra-scan

deps: $(STAMPS)/python $(STAMPS)/node local.settings.json

$(STAMPS)/python: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

local.settings.json:
	cp local.settings.example.json local.settings.json

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy shared

# The suite waits on Azurite far more than it computes: four workers, each with its own
# Azurite, finish it in a fraction of the time on two cores.
unit:
	$(BIN)/python -m pytest -n 4

infra-scan:
	bash scripts/scan_infra.sh

bench:
	@$(MAKE) --no-print-directory -j2 deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules $(STAMPS) .local
