# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py

.PHONY: install run lint test fixtures bench loadtest migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

migrate: install
	DEBUG=1 $(MANAGE) migrate --noinput

demo: migrate
	DEBUG=1 $(MANAGE) loaddata demo_project
	DEBUG=1 $(MANAGE) create_demo_users
	DEBUG=1 $(MANAGE) suggest morocco-news

# The web server and one background worker (imports, snapshots, reports: docs/jobs.md) together; Ctrl-C
# stops both. The worker does not reload on code changes: restart `make run` after editing a job's code.
run: demo
	@echo "Serving on http://127.0.0.1:8000/ (admin at /admin/), with a background worker (db_worker)"
	@DEBUG=1 $(MANAGE) db_worker --queue-name '*' --no-reload --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(MANAGE) runserver 127.0.0.1:8000

# The linter, configured in ruff.toml (its version pinned in requirements-dev.txt). `make test` runs
# it first: a finding fails the run before the tests start.
lint: install
	$(BIN)/ruff check .

# The front end's unit tests (tests/js) run first, with `node --test`: no npm packages, no build
# step. Without node on PATH they are skipped, and this says so; REQUIRE_NODE_TESTS=1 (.ci/run
# sets it) makes a missing node fail instead.
# Browser tests (tests/browser) need Playwright (requirements-dev.txt) and Chromium at
# $(CHROMIUM); without them they are skipped, and this says so before pytest starts.
NODE ?= node
CHROMIUM ?= /usr/bin/chromium
test: install lint
	@if command -v "$(NODE)" >/dev/null 2>&1; then \
		echo "== node tests: on ($$("$(NODE)" --version))"; \
		"$(NODE)" --test --test-reporter=spec tests/js/*.test.mjs; \
	elif [ "$(REQUIRE_NODE_TESTS)" = 1 ]; then \
		echo "== node tests: FAILED: REQUIRE_NODE_TESTS=1 but no $(NODE) on PATH (Node.js 20 or later)"; exit 1; \
	else \
		echo "== node tests: SKIPPED: no $(NODE) on PATH (install Node.js 20 or later)"; \
	fi
	@if [ -x "$(CHROMIUM)" ] && $(BIN)/python -c "import playwright" 2>/dev/null; then \
		echo "== browser tests: on (Chromium at $(CHROMIUM))"; \
	else \
		echo "== browser tests: SKIPPED: no Chromium at $(CHROMIUM) or no Playwright (apt-get install chromium)"; \
	fi
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -rs $(PYTEST_ARGS)

# Rebuild fixtures/demo_project.json from fixtures/raw/ in a throwaway database.
fixtures: install
	rm -f var/fixture-build.sqlite3
	DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/var/fixture-build.sqlite3 $(MANAGE) migrate --noinput -v0
	DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/var/fixture-build.sqlite3 $(MANAGE) build_seed_fixtures
	rm -f var/fixture-build.sqlite3*

# Benchmarks print figures and ratios (see bench/README.md); PostgreSQL too when DATABASE_URL is set.
bench: install
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/history_bench.py
	$(BIN)/python bench/workspace_server_bench.py
	$(BIN)/python bench/ui_bench.py
	$(BIN)/python bench/agreement_bench.py
	$(BIN)/python bench/scale_bench.py
	$(BIN)/python bench/admin_bench.py
	$(BIN)/python bench/jobs_bench.py --articles 10000
	$(BIN)/python bench/quality_bench.py
	$(BIN)/python bench/tagger_bench.py
	$(BIN)/python bench/suggest_bench.py
	$(BIN)/python bench/claims_bench.py
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/reanchor_bench.py

# Not in CI: N simulated annotators against gunicorn on PostgreSQL (DATABASE_URL), then SQLite with 10.
loadtest: install
	$(BIN)/python bench/load_test.py
	$(BIN)/python bench/load_test.py --sqlite

clean:
	rm -rf $(VENV) var .pytest_cache
