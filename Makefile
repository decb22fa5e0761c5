# driftflag: the two commands a new machine needs.
#   make demo  - create .venv if missing, install, run the end-to-end demo
#   make test  - create .venv if missing, install with test extras, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_DIR ?= reports/demo
DEMO_CHILDREN ?= 30000
DEMO_YEARS ?= 8

.PHONY: demo test lint install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/driftflag synth --out $(DEMO_DIR)/la --children $(DEMO_CHILDREN) --years $(DEMO_YEARS) --seed 1 --force
	$(BIN)/driftflag calibration $(DEMO_DIR)/la

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check src tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_synth.py

clean:
	rm -rf $(VENV) reports/demo
