# Everything runs from the project's own venv; nothing needs activating.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CODE   := workflows activities api deploy
LOCK_DEV     := requirements/dev.txt
LOCK_RUNTIME := requirements/runtime.txt

.DEFAULT_GOAL := help
.PHONY: help venv run run-infra check test fuzz lint fmt clean clean-data lock

help:
	@echo "make run        start PostgreSQL (embedded), Temporal (dev server), worker and API; Ctrl-C stops all"
	@echo "make run-infra  only PostgreSQL + Temporal + migrations (run worker/API yourself)"
	@echo "make check      lint, then every test that needs no server (the inner loop: well under a minute)"
	@echo "make test       lint, then the whole suite on two workers (schemathesis at its everyday depth)"
	@echo "make fuzz       schemathesis over the whole API at its full depth (CI runs it after make test)"
	@echo "make lint       ruff check + mypy + the import contracts (lint-imports: the layers of docs/architecture.md)"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make lock       regenerate requirements/*.txt (hash-pinned) from pyproject.toml; commit them"
	@echo "make clean      forget the install stamp and tool caches (keeps .venv and .data)"
	@echo "make clean-data delete .data (the local database and Temporal state)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever the lock is newer than the stamp: every package from requirements/dev.txt, pinned with
# hashes (pip refuses an unpinned or unhashed one), then the project itself without dependencies. The runtime,
# dev and `local` (Temporal dev server, embedded PostgreSQL) extras are all in that lock; the image uses
# requirements/runtime.txt. After changing pyproject.toml's dependencies: `make lock`.
$(STAMP): pyproject.toml $(LOCK_DEV) | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q --require-hashes -r $(LOCK_DEV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The lock files, from pyproject.toml and requirements/build.in (the build backend): dev (runtime + local + dev
# extras), then runtime constrained to dev's versions so both agree. One resolution for every platform
# (--universal), hashes of every file of each pinned version. Existing pins are kept; `make lock
# LOCK_FLAGS=--upgrade` moves every package to its newest allowed version. Needs the network; commit the result.
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11
lock: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install -q 'uv>=0.9,<1'
	$(UV_COMPILE) $(LOCK_FLAGS) --extra local --extra dev -o $(LOCK_DEV) pyproject.toml requirements/build.in
	$(UV_COMPILE) --constraint $(LOCK_DEV) -o $(LOCK_RUNTIME) pyproject.toml requirements/build.in

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/genoptraening run

run-infra: $(STAMP)
	$(BIN)/genoptraening run --infra-only

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy $(CODE)
	$(BIN)/lint-imports

# Lint first, so that the test runner's summary is the last thing printed; -rs lists every skip with its reason
# (e.g. no chromium for the chart page's browser test). Two workers (pytest-xdist, -n 2): modules go to whichever
# is free; each starts its own PostgreSQL and Temporal servers (tests/conftest.py, tests/support/temporal_fixtures.py).
PYTEST := $(BIN)/pytest -q -rs -n 2 --dist worksteal

# The tests that need no server (marker `pure`, set from the fixtures a test uses: tests/conftest.py).
check: lint
	$(PYTEST) -m pure

test: lint
	$(PYTEST)

# Schemathesis at its full depth (tests/api/test_schemathesis.py; make test runs it at an everyday depth).
fuzz: $(STAMP)
	SCHEMATHESIS_DEPTH=full $(BIN)/pytest -q -rs -m fuzz

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
