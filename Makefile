# CoRoT VO — the two commands of the README:
#   make serve   set up, generate the demo archive if absent, serve it on http://127.0.0.1:8000
#   make test    set up (Python and system dependencies) and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test setup system-deps lint bench clean-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m hips.viewer --if-absent || echo "note: Aladin Lite not fetched (needs npm); the sky view is disabled"
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/corot-vo demo --if-absent
	$(BIN)/corot-vo serve

system-deps:
	bash scripts/install-system-deps

# pytest's stderr drops the list of objects DuckDB's bindings still hold at interpreter exit.
test: system-deps $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest 2> >(grep -v -E '^(nanobind: |See https://nanobind| - leaked | - \.\.\. skipped remainder)' >&2)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean-data:
	rm -rf data
