# Set-up and everyday commands. Each target creates .venv and installs what
# it needs on first use, so a fresh clone needs only Python 3.11+, make and pip.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

# Extra arguments: make run ARGS="--log-format console"; make test PYTEST_ARGS="-k tokens -x".
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test test-long proto typecheck bench bench-smoke clean

run: $(RUNTIME_STAMP)
	$(BIN)/backendsd serve --data-dir data $(ARGS)

test: $(TEST_STAMP)
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

test-long: $(TEST_STAMP)
	$(BIN)/pytest -m slow $(PYTEST_ARGS)

# Benchmarks (docs/benchmarks.md): full sizes took 12 minutes on 2 cores;
# bench-smoke runs every scenario at tiny sizes in under a minute.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench --sizes full --out build/bench $(ARGS)

bench-smoke: $(BENCH_STAMP)
	$(BIN)/python -m bench --sizes smoke --out build/bench-smoke $(ARGS)

proto: $(TEST_STAMP)
	$(BIN)/python scripts/gen_protos.py

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "backendsd needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(BENCH_STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache
