# Baton — the single entry point for people and CI alike.
# `make demo` and `make test` work from a fresh clone: they create .venv and install first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
BATON  := $(BIN)/baton
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test test-postgres lint format bench bench-assignment bench-inbox bench-dashboard bench-sla browsers clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> Creating virtualenv in $(VENV) with $(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing Baton and its development tools"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off -e ".[dev]"
	@touch $(STAMP)

# make demo PORT=8010 HOST=0.0.0.0 SIM_PORT=8091 (the simulator takes 8081, or the next free
# port, unless SIM_PORT names one).
HOST     ?= 127.0.0.1
PORT     ?= 8000
SIM_PORT ?=

demo: install
	$(BATON) demo --host $(HOST) --port $(PORT) $(if $(SIM_PORT),--simulator-port $(SIM_PORT))

test: install
	$(BIN)/pytest

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy $(filter-out src/baton/simulator/,$(wildcard src/baton/*/)) $(wildcard src/baton/*.py)
	$(BIN)/lint-imports
	$(BIN)/python scripts/lint_project.py

format: install
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

bench: install
	$(BIN)/python benchmarks/ingest.py

# Assignment engine: 1,000 agents, 10,000 queued conversations, in a scratch database next to
# DATABASE_URL (PostgreSQL; a temporary SQLite file when unset).
bench-assignment: install
	$(BIN)/python benchmarks/assignment.py

# Server time of the inbox list for an agent with 10,000 visible open conversations.
bench-inbox: install
	$(BIN)/python benchmarks/inbox_list.py

# The manager's board and its API with 10,000 open and 1,000,000 total conversations, on the
# PostgreSQL database DATABASE_URL names (it is emptied first).
bench-dashboard: install
	$(BIN)/python benchmarks/dashboard.py

# One SLA scan tick over 100,000 open conversations (idle, and with 200 due at once), on the
# PostgreSQL database DATABASE_URL names (it is emptied first), else a temporary SQLite file.
bench-sla: install
	$(BIN)/python benchmarks/sla_scan.py $(if $(DATABASE_URL),--database $(DATABASE_URL))

# The pictures in docs/screenshots/ come from the browser tests; other test runs keep their
# screenshots in pytest's temporary folder.
.PHONY: screenshots
screenshots: install
	BATON_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser/test_inbox.py tests/browser/test_dashboard.py

# Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
browsers:
	@if [ -x /usr/bin/chromium ]; then echo "Chromium: $$(/usr/bin/chromium --version)"; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Install Chromium for the browser tests: sudo apt-get install chromium (they are skipped without it)"; fi

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
