# One entry point for people and CI. Needs only Python 3.10+ on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano

.PHONY: venv meltano test test-matrix lint check demo bench bench-pipeline emulator clean

# The stamp files make `make test` cheap to repeat and rebuild only when the pins change.
$(VENV)/.installed: pyproject.toml emulator/pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test,lint]' -e ./emulator
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

## demo: emulator -> meltano run tap-openai-audit target-duckdb, twice, with a summary
demo: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python scripts/demo.py

## bench: throughput, memory and concurrency figures
bench: venv
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_inventory.py

## bench-pipeline: 100k events through meltano run into PostgreSQL, loader defaults vs shipped
bench-pipeline: venv meltano
	MELTANO_BIN=$(abspath $(MELTANO)) $(BIN)/python scripts/bench_pipeline.py

## emulator: serve the emulated audit-log API on 127.0.0.1:8787
emulator: venv
	$(BIN)/openai-audit-emulator

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .venv-matrix .meltano output .bench
