# Two commands do all setup on a fresh machine with Python 3.11:
#   make demo   - install into .venv/, run the pipeline on the bundled broker with seeds/, print alerts
#   make test   - install into .venv/ (and the Prometheus/Alertmanager servers), run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-unit test-fast bench eval check-rules system-deps lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --require-hashes --only-binary=:all: -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/sitrep demo

# The Prometheus, promtool and Alertmanager binaries the monitoring tests run against.
system-deps:
	scripts/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

# Unit tests only: no broker, no servers (fast).
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit rules

bench: $(STAMP)
	$(BIN)/sitrep bench

eval: $(STAMP)
	$(BIN)/sitrep eval

check-rules: $(STAMP)
	$(BIN)/sitrep rules check && $(BIN)/sitrep rules test

# Regenerate requirements.lock (every package pinned with its hashes) after changing pyproject.toml.
lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) .sitrep .pytest_cache
