# One entry point for people and CI. Needs only Python 3.10+ on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
# The demo's PostgreSQL (embedded-postgres/, docs/embedded-postgres.md); the tests use .pg/test-*.
PG_DEMO := .pg/demo

.PHONY: help venv meltano test test-fast test-matrix lint check demo pg-start pg-stop psql bench bench-pipeline bench-transform emulator clean
# `make` alone lists the targets (the `## target: what it does` lines below).
.DEFAULT_GOAL := help
# The fast tier, what a contributor runs while working: the unit tests, the emulator's, and the
# checks that meltano.yml, the README and the dbt package agree; none needing PostgreSQL,
# Meltano or marked slow (pyproject.toml's markers). `make test` runs everything.
FAST_MARKS := not postgres and not meltano and not slow
FAST_PATHS := tests/unit tests/emulator tests/transform/test_project.py tests/test_readme.py tests/test_meltano_settings.py
# `make test-matrix MATRIX_ARGS=--except-current`: leave out the Python of .venv (.ci/run, after
# `make test` ran everything under it).
MATRIX_ARGS ?=

## help: list the targets
help:
	@echo 'make <target>:'
	@sed -n 's/^## \([a-z-]*\): \(.*\)/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 20

# The stamp files make `make test` cheap to repeat and rebuild only when the pins change.
$(VENV)/.installed: pyproject.toml emulator/pyproject.toml embedded-postgres/pyproject.toml notify/pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test,lint]' -e ./emulator -e ./embedded-postgres -e ./notify
	touch $@

$(MELTANO_VENV)/.installed: requirements/meltano.txt
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MELTANO_VENV)/bin/python -m pip install --quiet -r requirements/meltano.txt
	touch $@

## venv: the tap's virtualenv .venv (with the emulator and the embedded PostgreSQL)
venv: $(VENV)/.installed

## meltano: Meltano 4.4.1 in .venv-meltano
meltano: $(MELTANO_VENV)/.installed

## test: set everything up and run the whole suite (what CI runs)
test: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python -m pytest

## test-fast: the tests that need no PostgreSQL, Meltano or long run (about a minute)
test-fast: venv
	$(BIN)/python -m pytest -q -m '$(FAST_MARKS)' $(FAST_PATHS)

## test-matrix: the unit and integration suites under each Python 3.10-3.13 found here
test-matrix: venv
	$(BIN)/python scripts/test_matrix.py $(MATRIX_ARGS)

## lint: ruff and mypy strict
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## check: lint, then the whole suite
check: lint test

## demo: embedded PostgreSQL + emulator -> meltano run tap-openai-audit target-postgres (+ dbt), a summary
demo: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python scripts/demo.py

## pg-start: start the demo's PostgreSQL (.pg/demo) and print how to connect
pg-start: venv
	$(BIN)/embedded-postgres start $(PG_DEMO)

## pg-stop: stop the demo's PostgreSQL
pg-stop: venv
	$(BIN)/embedded-postgres stop $(PG_DEMO)

## psql: psql on the demo's database (starts the server, stops it on exit if it was not running)
psql: venv
	$(BIN)/embedded-postgres psql $(PG_DEMO)

## bench: throughput, memory and concurrency figures
bench: venv
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_inventory.py

## bench-pipeline: 100k events through meltano run into PostgreSQL, loader defaults vs shipped
bench-pipeline: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python scripts/bench_pipeline.py

## bench-transform: 1M events, a full dbt build, then +1,000 and the incremental one (ratio <= 0.2)
bench-transform: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python scripts/bench_transform.py

## bench-notify: what openai-audit-notify send adds to a job (wall time, memory on 10,000 alerts)
bench-notify: venv
	$(BIN)/python scripts/bench_notify.py

## emulator: serve the emulated audit-log API on 127.0.0.1:8787
emulator: venv
	$(BIN)/openai-audit-emulator

## clean: stop the embedded servers, delete the virtualenvs, .meltano, output and .pg
clean:
	if [ -x $(BIN)/embedded-postgres ]; then for folder in .pg/*/; do [ ! -d "$$folder" ] || $(BIN)/embedded-postgres stop "$$folder"; done; fi
	rm -rf $(VENV) $(MELTANO_VENV) .venv-matrix .meltano output .bench .pg
