PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test clean

# Build and validate the graph into dist/, summarise it, and serve it on http://127.0.0.1:8000/.
run: $(VENV)/.installed
	$(BIN)/sundhedsgraf build
	$(BIN)/sundhedsgraf stats
	$(BIN)/sundhedsgraf serve

# Lint, check the format of code and data, run the test suite.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sundhedsgraf format --check
	$(BIN)/pytest

clean:
	rm -rf $(VENV) dist .dist-builds

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The stamps make pip run again whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@
