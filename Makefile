# duban: two commands. `make demo` sets everything up and serves the demo; `make test` runs
# the whole suite. Everything is installed into .venv from PyPI, pinned by constraints.txt.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DUBAN_HOME ?= $(CURDIR)/var

.PHONY: demo test test-setup test-run lint format eval bench docs messages lock clean screenshots

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "duban needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	scripts/system-deps.sh demo
	$(BIN)/duban demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) lint
	scripts/system-deps.sh test
	$(MAKE) --no-print-directory test-run

# The checks and the suite alone, in TEST_HOME: CI runs the SQLite and the PostgreSQL pass
# side by side with two homes (.ci/run), after one `make test-setup`.
TEST_HOME ?= $(CURDIR)/var/test
test-setup: $(STAMP) lint
	scripts/system-deps.sh test

test-run:
	DUBAN_HOME=$(TEST_HOME) $(BIN)/duban manage check --fail-level WARNING
	DUBAN_HOME=$(TEST_HOME) $(BIN)/duban manage makemigrations --check --dry-run
	DUBAN_HOME=$(TEST_HOME) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Retake the README's screenshots (docs/screenshots/) with the browser tests.
screenshots: $(STAMP)
	scripts/system-deps.sh test
	DUBAN_SCREENSHOTS=1 DUBAN_HOME=$(CURDIR)/var/test $(BIN)/python -m pytest -q -k browser

eval: $(STAMP)
	$(BIN)/python -m duban.extract.eval

bench: $(STAMP)
	$(BIN)/python benchmarks/extract_bench.py

docs: $(STAMP)
	$(BIN)/python -c 'from duban.cli import cli_reference; print(cli_reference())' > docs/cli.md

# Update the translation catalogs after adding or changing user-visible strings, then
# translate the new entries in duban/locale/en/LC_MESSAGES/django.po and run it again.
# makemessages needs GNU gettext (apt-get install gettext), a development tool only;
# compiling the .mo files does not (polib, in the test extra). Commit the .po and the .mo.
messages: $(STAMP)
	cd duban && DJANGO_SETTINGS_MODULE=duban.project.settings $(abspath $(BIN))/python -m django \
		makemessages -l en --ignore 'tests/*' --ignore 'extract/*' --no-obsolete --add-location file
	$(BIN)/python scripts/compile_messages.py

# Regenerate the pinned versions after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/duban-lock && $(PYTHON) -m venv /tmp/duban-lock
	/tmp/duban-lock/bin/pip install --quiet -e '.[test]'
	/tmp/duban-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
