# The whole data flow as file targets: datasets -> scraped.jsonl -> aggregate.json -> site/.
SHELL := /bin/bash
.DELETE_ON_ERROR:
.DEFAULT_GOAL := site

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DICOMREF := $(VENV)/bin/dicomref
INSTALLED := $(VENV)/.installed
DEV_INSTALLED := $(VENV)/.installed-dev
BASE_URL ?= http://127.0.0.1:8000/
SITE_FLAGS ?=
PORT ?= 8000

SHARED_CODE := $(wildcard dicomref/*.py dicomref/formats/*.py)
SCRAPE_CODE := $(SHARED_CODE) $(wildcard dicomref/scrape/*.py)
AGGREGATE_CODE := $(SHARED_CODE) $(wildcard dicomref/aggregate/*.py dicomref/standard/*.py dicomref/validate/*.py)
SITE_CODE := $(AGGREGATE_CODE) $(wildcard dicomref/site/*.py dicomref/search/*.py dicomref/idc/*.py \
	dicomref/templates/*.html dicomref/templates/static/*)

.PHONY: site test test-long lint docs serve bench clean chromium

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_INSTALLED): $(INSTALLED)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

data/scraped.jsonl: data/datasets.toml $(SCRAPE_CODE) | $(INSTALLED)
	rm -f $@
	$(DICOMREF) scrape --datasets data/datasets.toml --out $@

data/aggregate.json: data/scraped.jsonl $(AGGREGATE_CODE) | $(INSTALLED)
	$(DICOMREF) aggregate $< --datasets data/datasets.toml --out $@

site/index.html: data/aggregate.json $(SITE_CODE) | $(INSTALLED)
	$(DICOMREF) site --aggregate $< --out site --base-url $(BASE_URL) $(SITE_FLAGS)

site: site/index.html

# The command-line reference, generated from the app's help (a test fails when it is stale).
docs: | $(INSTALLED)
	$(PY) -m dicomref.cli_reference docs/cli.md

# Browser tests drive Debian's Chromium; never a downloaded browser.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium missing: sudo apt-get install -y chromium (browser tests will skip)"; fi; \
	fi

# axe-core for the accessibility tests, pinned by package-lock.json, from the npm registry.
NODE_MODULES := node_modules/.package-lock.json
$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund

# ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade, simplify) and mypy over the package.
lint: $(DEV_INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m mypy

# The slowest 15 tests are printed at the end of every run (pytest options in pyproject.toml); the test files are
# shared out to one process per core, each with its own session fixtures.
test: lint chromium $(NODE_MODULES)
	$(PY) -m pytest -n auto --dist loadfile

# Long runs: the bench smoke run, browser timings, and the fuzz tests with many more examples.
FUZZ_EXAMPLES ?= 5000
test-long: $(DEV_INSTALLED) chromium $(NODE_MODULES)
	DICOMREF_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -m "long or fuzz"

serve: site/index.html
	$(DICOMREF) serve site --port $(PORT)

# Speed and memory side by side; BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--files 100000".
bench: $(DEV_INSTALLED) data/aggregate.json
	$(PY) -m bench --aggregate data/aggregate.json $(BENCH_ARGS)

clean:
	rm -rf site .site.building .site.old data/scraped.jsonl data/aggregate.json data/unreadable.csv data/search-index .pytest_cache tests/screenshots
