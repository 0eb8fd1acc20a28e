# One entry point for people and CI. Needs only Python 3.10+ on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
# The demo's PostgreSQL (embedded-postgres/, docs/embedded-postgres.md); the tests use .pg/test-*.
PG_DEMO := .pg/demo

.PHONY: venv meltano test test-matrix lint check demo pg-start pg-stop psql bench bench-pipeline bench-transform emulator clean

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

venv: $(VENV)/.installed

meltano: $(MELTANO_VENV)/.installed

## test: set everything up and run the whole suite
test: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python -m pytest

## test-matrix: the unit and integration suites under each Python 3.10-3.13 found here
test-matrix: venv
	$(BIN)/python scripts/test_matrix.py

## lint: ruff and mypy strict
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

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

clean:
	if [ -x $(BIN)/embedded-postgres ]; then for folder in .pg/*/; do [ ! -d "$$folder" ] || $(BIN)/embedded-postgres stop "$$folder"; done; fi
	rm -rf $(VENV) $(MELTANO_VENV) .venv-matrix .meltano output .bench .pg
