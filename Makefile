# The two commands: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install messages lint format bench migrate seed clean audit backup

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The translations: .po files are committed, their .mo compiled here (Babel, no gettext needed).
messages: install
	$(PY) scripts/compilemessages.py

# PostgreSQL (embedded, var/pg/), migrate, seed_demo, then web + worker + beat: scripts/devserver.py.
run: messages
	DEBUG=$${DEBUG:-true} TWO_FACTOR_DEMO_SKIP=$${TWO_FACTOR_DEMO_SKIP:-true} $(PY) scripts/devserver.py

# Lint, migrations and import layers first (fast), then pytest against throwaway servers.
test: messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(PY) scripts/supply_chain.py
	$(PY) scripts/testservices.py $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) scripts/testservices.py $(PY) bench/run.py $(BENCH_ARGS)

# bandit and pip-audit alone; pip-audit needs the network (PIP_AUDIT_REQUIRED=true to insist).
audit: install
	$(PY) scripts/supply_chain.py

# pg_dump + media into var/backups/<time>/ (see README, "Backup and restore").
backup: install
	$(PY) manage.py backup

clean:
	rm -rf $(VENV) var .pytest_cache
