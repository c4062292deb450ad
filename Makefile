# Everything a fresh clone needs: `make run` starts the stack, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate shell clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("uptime needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py runstack

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

migrate: $(STAMP)
	$(PY) manage.py migrate

shell: $(STAMP)
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) var
