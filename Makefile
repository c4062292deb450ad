# Everything a fresh clone needs: `make run` starts the stack, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The exact versions the suite passes with, hashed (pip-tools; `make lock` rewrites them):
# dev.txt is the runtime, test and bench packages, base.txt the runtime alone (the image).
LOCK := requirements/dev.txt

.PHONY: run test lint migrate shell clean browser bench lock

# A changed lock rebuilds the venv from empty, so nothing the old lock installed lingers.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit("uptime needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py runstack

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's chromium through Playwright (Playwright's own browser
# download does not work offline). Installed here when missing and we may use apt.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "warning: $(CHROMIUM) missing; install Debian's chromium or the browser tests fail"; \
	  fi; \
	fi

# Scale figures, stock beat scheduler vs ours (bench/; quick: make bench BENCH_ARGS="--monitors 1000 --seconds 60").
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

migrate: $(STAMP)
	$(PY) manage.py migrate

shell: $(STAMP)
	$(PY) manage.py shell

# Rewrite the locks from pyproject.toml with pip-tools, in a venv of its own: every pinned
# version that still fits pyproject.toml is kept, so a new dependency is all that changes.
# UPGRADE=1 takes the newest release of everything, UPGRADE_PACKAGE=redis of one package.
# base.txt takes dev.txt's versions, so the image runs what the suite tested.
PIPTOOLS ?= /tmp/uptime-piptools
LOCK_FLAGS = --quiet --generate-hashes --strip-extras --allow-unsafe \
  --no-emit-index-url --no-emit-find-links \
  $(if $(UPGRADE),--upgrade) $(if $(UPGRADE_PACKAGE),--upgrade-package $(UPGRADE_PACKAGE))
lock:
	@test -x $(PIPTOOLS)/bin/pip-compile || \
	  { $(PYTHON) -m venv $(PIPTOOLS) && $(PIPTOOLS)/bin/pip install --quiet pip-tools; }
	CUSTOM_COMPILE_COMMAND="make lock" $(PIPTOOLS)/bin/pip-compile $(LOCK_FLAGS) \
	  --extra test --extra bench -o requirements/dev.txt pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(PIPTOOLS)/bin/pip-compile $(LOCK_FLAGS) \
	  -c requirements/dev.txt -o requirements/base.txt pyproject.toml

clean:
	rm -rf $(VENV) var
