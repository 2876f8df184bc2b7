# Everything a fresh machine with Python 3.11 and Node.js 20 needs; a second run skips what is
# already installed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

.PHONY: run test lint typecheck unit infra-scan bench deps clean portal portal-types \
	portal-types-check portal-lint portal-typecheck portal-unit chromium

# Every file the portal's build reads: a change to any of them rebuilds it.
PORTAL_SOURCES := $(shell find portal/src portal/public -type f 2>/dev/null) portal/index.html \
	portal/package.json portal/tsconfig.json portal/vite.config.ts
PORTAL_BIN := portal/node_modules/.bin

run:
	@$(MAKE) --no-print-directory -j2 deps
	@$(MAKE) --no-print-directory portal
	$(BIN)/python scripts/run_local.py

# Lint first: it is the quickest to fail. The browser tests (in `unit`) need the built portal
# and Debian's chromium.
test:
	@$(MAKE) --no-print-directory -j2 deps
	@$(MAKE) --no-print-directory -j2 portal chromium
	@$(MAKE) --no-print-directory lint portal-lint typecheck portal-typecheck portal-types-check \
		portal-unit unit infra-scan

deps: $(STAMPS)/python $(STAMPS)/node $(STAMPS)/portal-node local.settings.json

$(STAMPS)/python: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/portal-node: portal/package.json portal/package-lock.json
	npm ci --prefix portal --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

local.settings.json:
	cp local.settings.example.json local.settings.json

portal: portal/dist/index.html

portal/dist/index.html: $(STAMPS)/portal-node $(PORTAL_SOURCES)
	npm run --silent build --prefix portal
	@touch $@

# The portal's API types, from the API's OpenAPI document (after changing the API).
portal-types: $(STAMPS)/python $(STAMPS)/portal-node
	$(BIN)/python scripts/export_openapi.py portal/src/api/openapi.json
	$(PORTAL_BIN)/openapi-typescript portal/src/api/openapi.json --default-non-nullable false \
		-o portal/src/api/schema.d.ts --silent

# Fails when the checked-in types differ from what the API's code declares now.
portal-types-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python scripts/export_openapi.py "$$tmp/openapi.json" && \
	$(PORTAL_BIN)/openapi-typescript "$$tmp/openapi.json" --default-non-nullable false \
		-o "$$tmp/schema.d.ts" --silent && \
	diff -q "$$tmp/openapi.json" portal/src/api/openapi.json >/dev/null && \
	diff -q "$$tmp/schema.d.ts" portal/src/api/schema.d.ts >/dev/null || \
	{ echo "portal/src/api differs from the API's OpenAPI document: run make portal-types"; exit 1; }

portal-lint:
	cd portal && node_modules/.bin/eslint --max-warnings 0 .

portal-typecheck:
	cd portal && node_modules/.bin/tsc --noEmit

portal-unit:
	cd portal && node_modules/.bin/vitest run

chromium:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		$$sudo apt-get update && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

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
	rm -rf $(VENV) node_modules portal/node_modules portal/dist $(STAMPS) .local
