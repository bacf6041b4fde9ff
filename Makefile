# Two commands set everything up on a fresh machine with Python 3.11:
#   make run   - dashboard (demo data when no token is configured)
#   make test  - the whole suite (the PostgreSQL store tests run when PANCAKE_TEST_POSTGRES_URL
#                is set, as .ci/run does; `make test-postgres` starts a throwaway cluster for them)
# Streamlit's own variables (STREAMLIT_SERVER_PORT, STREAMLIT_SERVER_HEADLESS, ...) are honoured.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
RUN_STAMP  := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
# pytest-xdist workers for `make test`: three on two cores, as the suite waits on servers, browsers
# and commands as much as on CPU (two: 436 s, three: 399 s on the same main)
TEST_WORKERS ?= 3

.PHONY: run test lint test-fast test-browser test-store test-postgres bench bench-store bench-pages bench-first-view bench-tv bench-picture bench-replies simulator export-help cache-info sync clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(TEST_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(RUN_STAMP) $@

run: $(RUN_STAMP)
	$(PY) -m streamlit run serve.py

# --dist loadscope: a module's tests on one worker, so its module-wide servers (the agency TV's
# 24-page dashboard, the hostile-names dashboard, the simulators) start once, not once per worker
# Python writes the project's bytecode cache while testing, even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): the suite starts a few hundred Python processes (commands, dashboards,
# fillers), and each compiled the project's modules again; each worker rewrote every test's asserts
test: lint
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

# ruff: lint and import order (configured in pyproject.toml)
lint: $(TEST_STAMP)
	$(PY) -m ruff check .

test-fast: $(TEST_STAMP)
	$(PY) -m pytest -m "not browser"

test-browser: $(TEST_STAMP)
	$(PY) -m pytest -m browser

test-store: $(TEST_STAMP)
	$(PY) -m pytest tests/pancake/store tests/pancake/data tests/pancake/test_cli_store.py

# the store's tests against a throwaway PostgreSQL 15 cluster (Debian's postgresql-15), stopped by its pid
test-postgres: $(TEST_STAMP)
	bash -c 'source .ci/postgres.sh; trap pg_stop EXIT; pg_start; $(PY) -m pytest tests/pancake/store tests/pancake/test_cli_store.py'

bench: $(TEST_STAMP)
	$(PY) -m bench.run

# store and concurrency figures: the simulator over HTTP, 200 ms latency, the limit enforced
bench-store: $(TEST_STAMP)
	$(PY) -m bench.store

# server work of the overview, engagement and staff pages, 24 pages × 90 days, cold and warm
bench-pages: $(TEST_STAMP)
	$(PY) -m bench.pages

# issue 18's first view in Chromium: 24 pages × 90 days compared, 200 ms answers, the limit enforced
bench-first-view: $(TEST_STAMP)
	$(PY) -m bench.first_view --runs 3

# the idle TV's API calls a minute: 24 pages, refresh=1, six sections rotating, an injected clock
bench-tv: $(TEST_STAMP)
	$(PY) -m bench.tv

# the standup as a picture: a dashboard and Chromium started and stopped per run (target < 10 s)
bench-picture: $(TEST_STAMP)
	$(PY) -m bench.picture

# the messages of a busy agency's day (24 pages x 300 conversations) within 5 calls/s/page, then refilled
bench-replies: $(TEST_STAMP)
	$(PY) -m bench.replies

cache-info: $(RUN_STAMP)
	$(PY) -m pancake cache info

# e.g. make sync DAYS=90 (pages: every page the user token sees)
sync: $(RUN_STAMP)
	$(PY) -m pancake sync --page all --days $${DAYS:-90}

simulator: $(RUN_STAMP)
	$(PY) -m pancake.api.simulator --port $${PORT:-8765}

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
