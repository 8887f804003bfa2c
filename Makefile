# `make demo`, `make test` and `make test-all` each set up .venv on first use, then run.
# `make test` is the fast tier (tests with none of the markers below, each under 5 s);
# `make test-all` runs every test, slowest 25 listed (what CI runs, with `make lint` and `make docs`);
# `make docs` builds the documentation site (mkdocs.yml) into site/, failing on a broken link or reference.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FAST := not slow and not subprocess and not e2e

.PHONY: demo test test-all lint docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kerashp demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "$(FAST)"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --durations=25

lint: $(STAMP)
	$(BIN)/ruff check kerashp tests examples benchmarks

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) kerashp_runs .pytest_cache site
