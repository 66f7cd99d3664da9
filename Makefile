# Millstream developer entry points. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration e2e bench soak clean install

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[flink,test]'
	@touch $(STAMP)

install: $(STAMP)

## Start Millstream with the embedded Flink cluster and the demo job (Ctrl-C stops all).
run: $(STAMP)
	$(BIN)/millstream up --demo

## Lint, type-check and run the whole test suite (what CI runs).
test: $(STAMP)
	bash scripts/ensure-services.sh
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy src tests
	$(BIN)/lint-imports
	$(BIN)/pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy src tests

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

soak: $(STAMP)
	MILLSTREAM_SOAK=1 $(BIN)/pytest tests/reliability -q

clean:
	rm -rf $(VENV) .millstream .mypy_cache .ruff_cache .pytest_cache
