# Everything lives in .venv inside the checkout.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

## demo: install influencer-kit into .venv and run the offline demo
demo: install
	$(BIN)/python -m influencer_kit

## test: install into .venv and run the test suite
test: install
	$(BIN)/python -m pytest -q -rs
