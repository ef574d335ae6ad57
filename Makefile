# Abonent — the two commands are `make run` and `make test`; everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
DEMO_ACCOUNTS ?= 3000
export DJANGO_SETTINGS_MODULE ?= abonent.config.settings

.PHONY: run test bench lint fmt demo install install-dev messages system-packages browser migrate clean

run: install ## install, migrate, load the demo if empty, start web server + worker
	DEMO_ACCOUNTS=$(DEMO_ACCOUNTS) bash scripts/run.sh

test: install-dev browser ## install what tests need and run the whole suite
	bash scripts/test.sh

bench: install-dev ## measure the issues' figures into bench/results.json
	$(PY) bench/run.py

lint: install-dev ## ruff, mypy and a check that migrations are complete
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

fmt: install-dev
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

demo: install ## erase the database and reload the demo utility
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo --reset --accounts $(DEMO_ACCOUNTS)

install: system-packages $(RUNTIME_STAMP) messages

install-dev: install $(DEV_STAMP)

$(RUNTIME_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# gettext's msgfmt compiles the translation catalogs; Debian package "gettext".
# Documents are typeset in DejaVu (Cyrillic), Debian package "fonts-dejavu-core".
system-packages:
	@command -v msgfmt >/dev/null || bash scripts/apt-install.sh gettext
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || bash scripts/apt-install.sh fonts-dejavu-core

messages: $(RUNTIME_STAMP)
	cd src/abonent && ../../$(PY) -m django compilemessages --ignore '.venv' -v 0

# Browser tests drive Debian's chromium (never a browser downloaded by a test tool).
browser:
	@command -v chromium >/dev/null || bash scripts/apt-install.sh chromium fonts-dejavu-core

clean:
	rm -rf $(VENV) var bench/work
