# Everything lives in .venv inside the checkout.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the default install: no TensorFlow (the `deepface` extra) and no test tools
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# the tests also run the `deepface` extra's models, the Optuna, yt-dlp and Ray examples, and the docs build
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,deepface]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## demo: install influencer-kit into .venv and run the offline demo
demo: install
	$(BIN)/python -m influencer_kit

## test: install influencer-kit with its test and deepface extras into .venv and run the test suite
test: install-test
	$(BIN)/python -m pytest -q -rs
