# driftflag: the two commands a new machine needs.
#   make demo  - create .venv if missing, install, run the end-to-end demo
#   make test  - create .venv if missing, install with test extras, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= reports/demo
WORKSPACE ?= $(DEMO_DIR)/workspace

.PHONY: demo test lint install install-demo clean bench java chromium

HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-test-$(HASH)
DEMO_STAMP := $(VENV)/.installed-demo-$(HASH)
# uv installs the same releases as pip (same resolver inputs: pyproject.toml's lower bounds) in a
# fraction of the time: on this 2-core machine, the demo's packages into a new venv took 21 s
# with uv against 314 s with pip, at the same load (benchmarks/README.md, "make demo"). If uv
# cannot be installed or fails, pip does the install as before. --compile-bytecode: uv, unlike
# pip, leaves the packages uncompiled, and where PYTHONDONTWRITEBYTECODE is set (this machine's
# CI) every process then compiled pandas, scikit-learn, MLflow... again on import: 11.1 against
# 6.2 CPU s to import the ingest's stack, in each test worker, reading process and subprocess.
PIP_INSTALL = { $(BIN)/uv --version >/dev/null 2>&1 || $(BIN)/python -m pip install -q uv >/dev/null 2>&1 || true; } ; \
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --python $(BIN)/python -q --compile-bytecode $(1) || $(BIN)/python -m pip install -q $(1); \
	else $(BIN)/python -m pip install -q $(1); fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# make test needs the test extras (pytest, hypothesis, Spark, Playwright, PostgreSQL's driver);
# make demo only the package: each has its own stamp, so neither installs the other's extras.
$(STAMP): $(BIN)/python pyproject.toml
	$(call PIP_INSTALL,-e ".[test]")
	rm -f $(VENV)/.installed-test-*
	touch $(STAMP)

$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(call PIP_INSTALL,-e .)
	rm -f $(VENV)/.installed-demo-*
	touch $(DEMO_STAMP)

install: $(STAMP)
install-demo: $(DEMO_STAMP)

# The end-to-end demo: a synthetic LA in the three real formats, checked against England;
# ingest + validation, features, training, promotion and the fairness pack; then the month's
# scorecard, worklist and data drift monitoring, and reports/index.html linking everything.
demo: install-demo
	$(BIN)/driftflag run pipelines/demo_la.yaml --workspace $(WORKSPACE)
	$(BIN)/driftflag calibration $(DEMO_DIR)/la
	$(BIN)/driftflag run pipelines/train.yaml --workspace $(WORKSPACE)
	$(BIN)/driftflag run pipelines/monthly_audit.yaml --workspace $(WORKSPACE)
	@echo ""
	@echo "Open reports/index.html: the worklist, scorecard, fairness pack, monitoring and validation reports."
	@echo "MLflow: $(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath $(WORKSPACE))/mlflow.db"

# Two workers (the suite's machine has two cores); tests/conftest.py keeps each module, and the
# fairness, monitoring and worklist packages, on one worker so their fixtures are built once,
# and starts the longest groups first.
test: install java chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup

# Java 17 for pyspark (the Spark engine and its tests, tests/spark), from Debian's package when
# `java` is missing: nothing is downloaded at run time (no Spark packages or jars).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Java 17 for pyspark (Debian openjdk-17-jre-headless)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openjdk-17-jre-headless; }

# Debian's chromium for the web app's browser walk (tests/web; Playwright drives it and downloads
# no browser) and for the page screenshots, installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the web app's browser test"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }

lint: install
	$(BIN)/ruff check src tests benchmarks

bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) reports/demo
