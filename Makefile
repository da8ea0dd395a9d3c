# Everything runs from the project's own venv; nothing needs activating.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CODE   := workflows activities api deploy

.DEFAULT_GOAL := help
.PHONY: help venv run run-infra test lint fmt clean clean-data

help:
	@echo "make run        start PostgreSQL (embedded), Temporal (dev server), worker and API; Ctrl-C stops all"
	@echo "make run-infra  only PostgreSQL + Temporal + migrations (run worker/API yourself)"
	@echo "make test       lint (ruff, mypy), then the test suite"
	@echo "make lint       ruff check + mypy"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make clean      forget the install stamp and tool caches (keeps .venv and .data)"
	@echo "make clean-data delete .data (the local database and Temporal state)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[local,dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/genoptraening run

run-infra: $(STAMP)
	$(BIN)/genoptraening run --infra-only

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy $(CODE)

# Lint first, so that the test runner's summary is the last thing printed; -rs lists every skip with its reason
# (e.g. no chromium for the chart page's browser test).
test: lint
	$(BIN)/pytest -q -rs

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -f $(STAMP)
	rm -rf .pytest_cache .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data:
	@if [ -f .data/postgres/postmaster.pid ] && kill -0 "$$(head -n 1 .data/postgres/postmaster.pid)" 2>/dev/null; then \
		echo "PostgreSQL is still running on .data/postgres: stop 'make run' first"; exit 1; fi
	rm -rf .data
