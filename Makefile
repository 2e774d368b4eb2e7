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

.PHONY: help install translations db run test extract-messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(STAMP) ## Create .venv and install the pinned dependencies

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

translations: $(COMPILED) ## Compile the message catalogues

DEMO := datasets/demonstration-responses

db: install translations ## Create or upgrade the database, load datasets/, and the demonstration scores if none are published
	$(FLASK) portal init-db
	$(FLASK) portal load datasets
	$(FLASK) portal ingest-responses $(DEMO)/responses.csv $(DEMO)/invitations.csv --demo --if-unpublished

run: db ## Set up, then serve the portal with gunicorn on HOST:PORT
	exec $(BIN)/gunicorn --bind "$(HOST):$(PORT)" --workers $(WORKERS) --access-logfile - "portal:create_app()"

test: install translations ## Set up, then run the whole test suite
	$(BIN)/python -m pytest

extract-messages: install ## Extract interface strings and update the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot \
	  --project "Wales local government data portal" --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete --no-fuzzy-matching

clean: ## Remove the virtualenv, compiled catalogues and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache $(COMPILED)
	find . -name __pycache__ -prune -exec rm -rf {} +
