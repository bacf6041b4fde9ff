# Two commands set everything up on a fresh machine with Python 3.11:
#   make run   - dashboard (demo data when no token is configured)
#   make test  - the whole suite
# Streamlit's own variables (STREAMLIT_SERVER_PORT, STREAMLIT_SERVER_HEADLESS, ...) are honoured.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
RUN_STAMP  := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: run test test-fast test-browser bench simulator export-help clean

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
	$(PY) -m streamlit run app.py

test: $(TEST_STAMP)
	$(PY) -m pytest

test-fast: $(TEST_STAMP)
	$(PY) -m pytest -m "not browser"

test-browser: $(TEST_STAMP)
	$(PY) -m pytest -m browser

bench: $(TEST_STAMP)
	$(PY) -m bench.run

simulator: $(RUN_STAMP)
	$(PY) -m pancake.simulator --port $${PORT:-8765}

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
