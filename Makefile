# `make run` and `make test` work on a fresh clone: each creates the environment first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench install browser node-sdks clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/inbound demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

# PostgreSQL tests run when INBOUND_TEST_POSTGRES_URL is set; default to the local server if it answers.
PG_DEFAULT := postgresql+asyncpg://postgres@127.0.0.1:5432/test

# The console's browser tests drive Debian's chromium (Playwright's own download is unreachable).
browser:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium || (apt-get update && apt-get install -y chromium) \
	  || sudo apt-get install -y chromium

# The CDP SDKs for Node.js that tests/test_sdks_e2e.py runs, exactly as locked.
NODE_SDKS := tests/node_sdks
$(NODE_SDKS)/node_modules/.package-lock.json: $(NODE_SDKS)/package-lock.json
	cd $(NODE_SDKS) && npm ci --no-audit --no-fund --ignore-scripts

node-sdks: $(NODE_SDKS)/node_modules/.package-lock.json

test: $(STAMP) lint browser node-sdks
	INBOUND_TEST_POSTGRES_URL="$${INBOUND_TEST_POSTGRES_URL:-$$(pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo $(PG_DEFAULT))}" \
	  $(BIN)/pytest -q

# wrk drives the load (a Python client would be its own ceiling); installed from Debian if missing.
bench: $(STAMP)
	command -v wrk >/dev/null 2>&1 || apt-get install -y wrk || sudo apt-get install -y wrk
	$(BIN)/python bench/wrk_ingest.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) inbound.db inbound.db-wal inbound.db-shm .pytest_cache .mypy_cache .ruff_cache test-artifacts tests/node_sdks/node_modules
