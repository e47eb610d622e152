# Two commands do everything on a fresh machine with Python 3.11+:
#   make demo   -- venv + install + generate a sample card + offload it to three destinations
#   make test   -- venv + install (with the test extras) + lint + type check + the Debian
#                  packages the tests use (scripts/install-test-deps: as root with apt-get,
#                  else the tests that need them skip) + the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { echo "'$(PYTHON) -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,media,s3]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m offload.demo demo-output

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy

# pytest-xdist workers (dev extra): two by default (`--dist loadgroup`: the tests of one
# xdist_group stay on one worker); `make test PYTEST_WORKERS=0` runs the suite in one process.
# Two since the whole suite (as of 2026-12-02) ran green three times in a row on 2 workers
# with CI=true, in less time than in one process; a test that fails only on workers is a bug
# in that test (README's Quick start says how to run the suite serially).
PYTEST_WORKERS ?= 2

# The tests' temporary folders: a fresh folder of this run's under the system's temp folder
# (mktemp -d, so $TMPDIR or /tmp), removed when the run passes, kept and named when it fails.
# Not pytest's default /tmp/pytest-of-USER/pytest-N: N grows with each run left there, so the
# paths the tests see (and the lines that name them) got longer from run to run.
test: lint
	scripts/install-test-deps
	base="$$(mktemp -d)" || exit 1; \
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup --basetemp "$$base" || \
	{ status=$$?; echo "make test: the tests' temporary folders are kept in $$base" >&2; exit $$status; }; \
	rm -rf "$$base"

bench: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[bench]'
	$(VENV)/bin/offload bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
