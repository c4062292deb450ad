# Everything a fresh clone needs: `make run` starts the stack, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate shell clean browser bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("uptime needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
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
	@$(PY) -c 'import matplotlib' 2>/dev/null || $(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

migrate: $(STAMP)
	$(PY) manage.py migrate

shell: $(STAMP)
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) var
