# Millstream developer entry points. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration e2e bench soak soak-all clean install

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

## The soak: SOAK_DEPLOYMENTS deployments cycling start, savepoint, stop, restore on two
## replicas over PostgreSQL for SOAK_SECONDS while the server, a TaskManager and the
## JobManager are SIGKILLed at random; the suite runs a 30-second version of it.
SOAK_SECONDS ?= 1800
SOAK_DEPLOYMENTS ?= 20
soak: $(STAMP)
	bash scripts/ensure-services.sh
	MILLSTREAM_SOAK=1 MILLSTREAM_SOAK_SECONDS=$(SOAK_SECONDS) MILLSTREAM_SOAK_DEPLOYMENTS=$(SOAK_DEPLOYMENTS) \
	  $(BIN)/pytest -p no:cacheprovider -q -s tests/reliability/test_soak.py

## The long randomized variants of every reliability test (hours).
soak-all: $(STAMP)
	bash scripts/ensure-services.sh
	MILLSTREAM_SOAK=1 $(BIN)/pytest -p no:cacheprovider -q tests/reliability

clean:
	rm -rf $(VENV) .millstream .mypy_cache .ruff_cache .pytest_cache
