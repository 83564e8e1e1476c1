# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app surveyapp
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest translations translations-update bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Serve the app on http://127.0.0.1:5000 with an embedded SQLite database and demo data,
## and the background job worker beside it (Ctrl-C stops both).
PORT ?= 5000
run: $(STAMP)
	SURVEYAPP_DEMO=1 $(FLASK) setup
	@trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	SURVEYAPP_DEMO=1 $(FLASK) jobs worker & worker=$$!; \
	SURVEYAPP_DEMO=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

## Lint, type checks and the whole test suite.
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check surveyapp tests wsgi.py $(wildcard benchmarks)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

## Re-extract messages and update the .po files (then translate and run `make translations`).
translations-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k text -o surveyapp/translations/messages.pot surveyapp
	$(BIN)/pybabel update -i surveyapp/translations/messages.pot -d surveyapp/translations --no-fuzzy-matching --ignore-obsolete

## Compile the .po files to the .mo files the app reads (both are committed).
translations: $(STAMP)
	$(BIN)/pybabel compile -d surveyapp/translations
	$(BIN)/pybabel compile -D wtforms -d surveyapp/translations

## Load, fault, scale, export and bad-input benchmarks; writes benchmarks/results/latest.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.perf.run_all

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
