# Latent Studio: `make run` starts the app, `make test` runs the tests. Both create or update the local
# virtual environment (.venv) first, so they work on a fresh machine with nothing installed by hand.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# On an X display, first check the system libraries Qt's xcb plugin needs (prints the apt-get line if any is missing).
run: $(STAMP)
	@$(PY) -m latent_studio.app.gui.xcb_check
	$(VENV)/bin/latent-studio $(ARGS)

# The same checks as .pre-commit-config.yaml: lint, format, types (settings in pyproject), the import layers.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
