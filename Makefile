# Motcua: the two commands are `make run` and `make test`. Each installs what it needs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CONSTRAINTS := requirements/constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint format bench install install-dev browser messages lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: prepare the embedded SQLite database with demo data and serve http://$(HOST):$(PORT) with a worker
run: install
	$(BIN)/motcua migrate --noinput
	$(BIN)/motcua collectstatic --noinput --verbosity 0
	$(BIN)/motcua demo --once
	$(BIN)/motcua serve --host $(HOST) --port $(PORT)

## browser: Chromium, poppler-utils and zbar-tools for the browser journeys and PDF checks (Debian packages; needs root)
browser:
	@bash scripts/ensure-test-tools.sh

## test: install and run the whole suite (unit, integration, browser journeys)
test: install-dev browser
	$(BIN)/python -m pytest -n auto -p no:cacheprovider; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

lint: install-dev
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/lint-imports
	$(BIN)/mypy src/motcua/core $$(ls -d src/motcua/*/services.py src/motcua/*/services 2>/dev/null | grep -v /core/) \
		src/motcua/signatures/keys src/motcua/signatures/registry.py src/motcua/signatures/verification.py \
		src/motcua/signatures/expiry.py src/motcua/exchange/edxml src/motcua/exchange/transport \
		src/motcua/exchange/directory.py src/motcua/exchange/identity.py src/motcua/exchange/packages.py \
		src/motcua/exchange/routing.py src/motcua/exchange/trust.py src/motcua/exchange/selectors.py \
		src/motcua/exchange/rules.py src/motcua/exchange/notifying.py src/motcua/exchange/exports.py

format: install-dev
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

## bench: measure on SQLite, then on PostgreSQL when a server answers (BENCH_POSTGRES_URL); writes docs/benchmarks.md
bench: install-dev
	$(BIN)/python -m tests.bench.run
	$(BIN)/python -m tests.bench.run --postgres

## messages: extract new strings into the vi/en/fr catalogues, compile them, check nothing is untranslated
messages: install-dev
	$(BIN)/python scripts/i18n.py extract
	$(BIN)/python scripts/i18n.py compile
	$(BIN)/python scripts/i18n.py check

## lock: re-pin every dependency after changing pyproject.toml
lock: $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	$(PIP) freeze --exclude-editable | grep -v '^-e' > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) var .pytest_cache
