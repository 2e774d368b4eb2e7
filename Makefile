# The portal's two commands: `make run` and `make test`. Both set everything up
# first (virtualenv, pinned dependencies, compiled translations) and reuse what
# already exists on later runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
STAMP := $(VENV)/.installed
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: help install install-bench install-ckan translations db run test bench bench-quick extract-messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(STAMP) ## Create .venv and install the pinned dependencies

# The benchmark's own pins (Datasette), in the same .venv, constrained by the
# portal's pins; check_pins.py then fails the build on any conflict among them.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python benchmarks/check_pins.py requirements.txt requirements-dev.txt requirements-bench.txt
	touch $@

install-bench: $(BENCH_STAMP) ## Install the benchmark's pinned dependencies (Datasette) too

# CKAN and ckanext-dcat in a virtualenv of their own (CKAN's pins conflict with
# the portal's): the DCAT harvesting tests run ckanext-dcat's parser there.
CKAN_VENV := .venv-ckan
CKAN_STAMP := $(CKAN_VENV)/.installed

$(CKAN_STAMP): requirements-ckan.txt
	test -x $(CKAN_VENV)/bin/python || $(PYTHON) -m venv $(CKAN_VENV)
	$(CKAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-ckan.txt
	$(CKAN_VENV)/bin/python -c "from ckanext.dcat.processors import RDFParser"
	touch $@

install-ckan: $(CKAN_STAMP) ## Install CKAN and ckanext-dcat in .venv-ckan (for the DCAT harvesting tests)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

translations: $(COMPILED) ## Compile the message catalogues

DEMO := datasets/demonstration-responses

db: install translations ## Create or upgrade the database, load datasets/, and the demonstration scores if none are published
	$(FLASK) portal init-db
	$(FLASK) portal load datasets
	$(FLASK) portal ingest-responses $(DEMO)/responses.csv $(DEMO)/invitations.csv --demo --if-unpublished

# The worker (uploads checked and published in the background) runs beside
# gunicorn, and stops with it.
run: db ## Set up, then serve the portal with gunicorn on HOST:PORT, and the upload worker beside it
	$(FLASK) portal worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	HOST="$(HOST)" PORT="$(PORT)" WORKERS="$(WORKERS)" $(BIN)/gunicorn -c gunicorn.conf.py "portal:create_app()"

# The browser tests drive Debian's Chromium (Playwright cannot download its own
# browser here); installed only when missing, so later runs print nothing.
CHROMIUM := /usr/bin/chromium

# install-debian PACKAGE, WHAT-NEEDS-IT: Debian's package with apt-get, as root.
define install-debian
	@command -v apt-get >/dev/null 2>&1 || { echo "make: $@ is missing and apt-get is unavailable: install Debian's '$(1)' package by hand ($(2) needs it)" >&2; exit 1; }
	@echo "Installing Debian's $(1) for $(2)"
	@export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends $(1) >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(1); } \
	  || { echo "make: could not install $(1) with apt-get (are you root?); $(2) needs $@" >&2; exit 1; }
endef

$(CHROMIUM):
	$(call install-debian,chromium,the browser tests)

# The benchmark's load generator, Debian's wrk, installed the same way.
WRK := /usr/bin/wrk

$(WRK):
	$(call install-debian,wrk,the benchmark)

test: install translations $(BENCH_STAMP) $(CKAN_STAMP) $(CHROMIUM) $(WRK) ## Set up, then run the whole test suite
	$(BIN)/python -m pytest

bench: install translations $(BENCH_STAMP) $(WRK) ## Benchmark the served portal against Datasette (ARGS=--quick for a tiny run)
	$(BIN)/python benchmarks/bench.py $(ARGS)

bench-quick: ## The benchmark on tiny data, every scenario, in under a minute
	$(MAKE) bench ARGS="--quick $(ARGS)"

extract-messages: install ## Extract interface strings and update the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot \
	  --project "Wales local government data portal" --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete --no-fuzzy-matching

clean: ## Remove the virtualenv, compiled catalogues and caches (keeps instance/)
	rm -rf $(VENV) $(CKAN_VENV) .pytest_cache $(COMPILED)
	find . -name __pycache__ -prune -exec rm -rf {} +
