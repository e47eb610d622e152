# Two commands do everything on a fresh machine with Python 3.11+:
#   make demo   -- venv + install + generate a sample card + offload it to three destinations
#   make test   -- venv + install + lint + type check + the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,media]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m offload.demo demo-output

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

bench: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[bench]'
	$(VENV)/bin/offload bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
