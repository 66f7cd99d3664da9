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
## Flink 2.3 is bundled; the newest 1.20 (LTS) is installed in the background once (cached).
RUNTIMES ?= ["1.20"]
run: $(STAMP)
	MILLSTREAM_FLINK__INSTALL_RUNTIMES='$(RUNTIMES)' $(BIN)/millstream up --demo

## Lint, type-check and run the whole test suite (what CI runs).
## Tests run in PYTEST_WORKERS pytest-xdist workers, one test file per worker at a time
## (each worker has its own Flink cluster and server); PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	bash scripts/ensure-services.sh
	@# Flink 1.20 for the runtime tests (tests/e2e/test_runtimes_e2e.py): downloaded once, cached.
	@ls -d .millstream/test-runtimes/1.20.* >/dev/null 2>&1 || \
		MILLSTREAM_FLINK__RUNTIMES_DIR=.millstream/test-runtimes $(BIN)/millstream runtimes install 1.20
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy src tests
	$(BIN)/lint-imports
	$(BIN)/pytest -p no:cacheprovider --durations=25 -n $(PYTEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy src tests

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

## Rebuild the console's SQL editor bundle (needs Node and npm; the built bundle is committed,
## so `make run` and `make test` never need them).
editor:
	cd web-editor && npm ci --no-audit --no-fund && node build.mjs

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
