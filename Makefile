# Two commands for a newcomer (see README.md):
#   make demo   set up, build the demo database and open the dashboard on http://127.0.0.1:8501
#   make test   set up and run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= data/demo.duckdb

.PHONY: demo test setup lint

setup: $(VENV)/.installed

# torch comes first, pinned to the CPU wheel on disk, so nothing pulls a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,gpu,train]"
	touch $@

demo: setup
	CASEBOOK_DB=$(DEMO_DB) $(BIN)/casebook demo --db $(DEMO_DB)
	CASEBOOK_DB=$(DEMO_DB) $(BIN)/casebook serve --db $(DEMO_DB) --port 8501

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check dashboard cli services engine cases ontology kernel tests bench
	$(BIN)/ruff format --check dashboard cli services engine cases ontology kernel tests bench
	$(BIN)/mypy
