# Set-up and everyday commands. Each target creates .venv and installs what
# it needs on first use, so a fresh clone needs only Python 3.11+, make and pip.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP := $(VENV)/.installed-test

# Extra arguments: make run ARGS="--log-format console"; make test PYTEST_ARGS="-k tokens -x".
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test test-long proto typecheck clean

run: $(RUNTIME_STAMP)
	$(BIN)/backendsd serve --data-dir data $(ARGS)

test: $(TEST_STAMP)
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

test-long: $(TEST_STAMP)
	$(BIN)/pytest -m slow $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache
