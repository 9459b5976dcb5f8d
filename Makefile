# Relay Desk: `make run` starts everything on this machine, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-unit lint chromium dovecot asyncapi bench chaos clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev,telegram,vk,email]'
	touch $(STAMP)

run: $(STAMP)  ## start the whole stack (embedded NATS, every service) and print the URLs
	$(BIN)/relaydesk up

test: $(STAMP) lint chromium dovecot  ## lint, then every test level against a real nats-server
	$(BIN)/python -m pytest tests

test-unit: $(STAMP)  ## the fast inner loop: pure tests only
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)  ## ruff, mypy strict, import-linter layering rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

chromium:  ## Debian's Chromium for the browser tests, installed when missing (needs root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing and cannot be installed here: browser tests will skip"; fi; }

dovecot:  ## Debian's dovecot IMAP server for the email tests, installed when missing (needs root)
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; \
	  else echo "dovecot is missing and cannot be installed here: IMAP tests will skip"; fi; }

asyncapi: $(STAMP)  ## regenerate contracts/asyncapi.yaml from the FastStream apps
	$(BIN)/relaydesk asyncapi --write

bench: $(STAMP)  ## benchmarks; JSON reports under tests/bench/results/
	$(BIN)/relaydesk bench

chaos: $(STAMP)  ## the long fault-injection run; tests/bench/results/chaos.json
	$(BIN)/python tests/chaos/run.py

clean:  ## remove the virtualenv and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
