# Rendezvous: `make run` serves the demo (`rendezvous serve --demo`), `make test` runs the whole suite.
# Both set everything up on a fresh machine: they find a Python >= 3.12, create .venv,
# install the project and its front-end assets, and migrate.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# This checkout's code first, even where .venv is shared with another worktree.
export PYTHONPATH := $(CURDIR)/src
# Tests use their own SQLite file; DATABASE_URL (if PostgreSQL) adds a second run there.
# They run on one pytest-xdist worker per core (at most 4); `make test TEST_JOBS=0` runs
# them in this process. Thread-storm and browser tests keep to one worker each
# (tests/conftest.py), so parallel storms never exhaust PostgreSQL's connections.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_ARGS ?= $(if $(filter-out 0 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadgroup)


.PHONY: locale run test test-sqlite test-postgres test-ahead lint bench venv clean messages assets browser

run: $(STAMP) locale assets
	$(VENV)/bin/rendezvous serve --demo --host $(HOST) --port $(PORT)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@PYBIN=$$(sh scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYBIN"; "$$PYBIN" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

locale: $(STAMP)
	@$(VENV)/bin/rendezvous compile_translations

# Front-end libraries from the npm registry (package-lock.json) into static/vendor/.
assets:
	@sh scripts/build-assets.sh

# Debian's Chromium for the browser tests (tests/e2e); installs it when root with apt.
browser:
	@sh scripts/ensure-chromium.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports --no-cache
	DATABASE_URL= $(VENV)/bin/mypy
	DATABASE_URL= $(PY) -m rendezvous.cli makemigrations --check --dry-run

test: lint test-sqlite
	@case "$$DATABASE_URL" in \
	  postgres*) $(MAKE) --no-print-directory test-postgres ;; \
	  *) echo "DATABASE_URL is not PostgreSQL: skipped the PostgreSQL run (.ci/run does both)." ;; \
	esac

test-sqlite: $(STAMP) locale assets browser
	@echo "== tests on SQLite"
	DATABASE_URL= $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) locale assets browser
	@echo "== tests on PostgreSQL ($$DATABASE_URL)"
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The suite on SQLite with the clock 400 days ahead (CI runs it after `make test`): a test
# that depends on today's date fails here today, not on the day it stops passing. The
# browser tests stay out: Chromium keeps the real clock, so its pages and our server
# would disagree on the time.
CLOCK_AHEAD_DAYS ?= 400
test-ahead: $(STAMP) locale assets
	@echo "== tests on SQLite, clock $(CLOCK_AHEAD_DAYS) days ahead"
	DATABASE_URL= RENDEZVOUS_TEST_CLOCK_AHEAD_DAYS=$(CLOCK_AHEAD_DAYS) $(VENV)/bin/pytest $(PYTEST_ARGS) -m "not e2e"

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache
