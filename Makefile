# The two commands of the README: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
COURSE := content/proximal-hamstring-tendinopathy

.PHONY: run test install install-dev assets browser lint test-sqlite test-postgres migrate load demo check-deploy clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.runtime node_modules/.installed
install-dev: $(VENV)/.dev node_modules/.installed
assets: node_modules/.installed

migrate: install
	$(PY) manage.py migrate --no-input

load: migrate
	$(PY) manage.py load_course $(COURSE)

demo: load
	$(PY) manage.py create_demo_accounts
	$(PY) manage.py create_signing_key --development --if-missing
	$(PY) manage.py lti_keys --create --if-missing

# The task worker (certificate emails, large exports) runs in the background beside runserver and
# stops with it (Ctrl+C). TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend make run
# would run tasks inside the request instead (README "Background work").
run: demo
	$(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded).
browser:
	bash scripts/install-system-deps.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-sqlite: install-dev
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install-dev
	DJANGO_ALLOW_ASYNC_UNSAFE=true bash scripts/with-postgres.sh $(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

test: install-dev browser lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache

# Every learner and board page against the bare-Django floor under gunicorn + wrk (bench/run_bench.py):
#   make bench                SQLite in a temporary file: 100 learners, then LEARNERS
#   make bench DB=postgres    the same on a throwaway PostgreSQL cluster, plus the write load
# Results: a table on the terminal, JSON + Markdown in bench/results/.
.PHONY: bench
bench: DB ?= sqlite
bench: LEARNERS ?= 10000
bench: WORKERS ?= $(shell nproc)
bench: CONNECTIONS ?= 32
bench: DURATION ?= 10
bench: $(VENV)/.dev
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" -eq 0 ]; then apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
	  else echo "wrk is not installed; as root run: apt-get install -y wrk" >&2; exit 1; fi; }
	$(if $(filter postgres,$(DB)),bash scripts/with-postgres.sh) $(PY) bench/run_bench.py --db $(DB) \
	  --learners $(LEARNERS) --workers $(WORKERS) --connections $(CONNECTIONS) --duration $(DURATION) --writes

# The CE board and its exports at scale (bench/run_scale.py, README "Scale"): for each size, a PostgreSQL
# cluster kept in SCALE_DIR/<size> is seeded once (later runs reuse it), then the report page, each filter,
# deep pages and each export are measured; last, the growth table across the sizes.
#   make bench-scale                             10,000 and 100,000 learners
#   make bench-scale SIZES="10000 100000 1000000"
.PHONY: bench-scale
bench-scale: SIZES ?= 10000 100000
bench-scale: SCALE_DIR ?= /work/pgdata-scale
bench-scale: $(VENV)/.dev
	for size in $(SIZES); do \
	  PGDATA_KEEP=$(SCALE_DIR)/$$size bash scripts/with-postgres.sh bash -c \
	    "$(PY) manage.py migrate -v0 && $(PY) bench/run_scale.py --seed-to $$size --label $$size" || exit 1; \
	done
	$(PY) bench/run_scale.py --growth $$(for size in $(SIZES); do ls bench/results/*-scale-$$size.json | tail -1; done)

# Backups: `make backup` writes backups/backup-<timestamp>.json.gz; `make restore FILE=...` replaces
# the database's content with it and checks every certificate's PDF hash.
.PHONY: backup restore
backup: migrate
	$(PY) manage.py backup

restore: migrate
	@test -n "$(FILE)" || (echo "Usage: make restore FILE=backups/backup-....json.gz" && exit 2)
	$(PY) manage.py restore "$(FILE)" --yes
