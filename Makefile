# FieldSupport developer commands. Everything installs into ./.venv on first use.
#   make run     install and open the app on the demo workspace
#   make test    install test dependencies and run lint + the whole test suite headless
#   make bench   print the performance figures (benchmarks/README.md)
#   make installer  build the Linux bundle, run its self-test, package it as a .deb

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint bench installer clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,central]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/fieldsupport --demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py

$(VENV)/.installed-installer: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[installer]"
	touch $@ $(VENV)/.installed-run

installer: $(VENV)/.installed-installer
	$(BIN)/python installer/build.py
	bash installer/linux/build_deb.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
