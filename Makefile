# The commands people type every day. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := identity catalog orders builds messaging analytics
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help bootstrap run logs test test-% fuzz chaos migrate createadmin seed openapi lint fmt bench load audit clean

help:  ## list the targets
	@grep -E '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

bootstrap:  ## install what the platform needs (venv, nginx, database roles, dev keys)
	@scripts/bootstrap.sh

run: bootstrap  ## migrate, then run the platform, gateway on :8080: make run [SERVICES="identity catalog orders"] (Ctrl-C stops all)
	@# scripts/run.py: development sizes (1 web worker with threads, a solo Celery worker with
	@# its beat, consumer and relay in one process), output in var/log/<service>.log too.
	@$(PY) scripts/run.py $(SERVICES)

logs:  ## follow one service's output while make run runs: make logs SERVICE=catalog
	@test -n "$(SERVICE)" || { echo "usage: make logs SERVICE=<service|gateway|platform>"; exit 2; }
	@touch var/log/$(SERVICE).log 2>/dev/null || { mkdir -p var/log && touch var/log/$(SERVICE).log; }
	@tail -n 50 -F var/log/$(SERVICE).log

test: bootstrap  ## run every test suite (servicekit, each service, gateway, e2e)
	@$(PY) scripts/run_tests.py

test-%: bootstrap  ## run one suite: make test-catalog, make test-gateway, make test-e2e …
	@$(PY) scripts/run_tests.py $*

fuzz: bootstrap  ## a long fuzzing pass over every operation: make fuzz [FUZZ_MAX_EXAMPLES=100] [FUZZ_SEED=…]
	@FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-100} FUZZ_RANDOM=1 $(VENV)/bin/pytest -q tests/hardening/test_fuzz.py

chaos: bootstrap  ## the chaos test, long: make chaos [CHAOS_SECONDS=600] [CHAOS_SEED=…] (make test runs a bounded one)
	@CHAOS_SECONDS="$${CHAOS_SECONDS:-600}" $(VENV)/bin/pytest -q -s -p no:cacheprovider tests/hardening/test_chaos.py

migrate: bootstrap  ## apply every service's migrations
	@for s in $(SERVICES); do echo "migrating $$s"; services/$$s/entrypoint.sh migrate || exit 1; done

createadmin: bootstrap  ## create or update a staff admin in identity: make createadmin EMAIL=… PASSWORD=…
	@test -n "$(EMAIL)" -a -n "$(PASSWORD)" || { echo "usage: make createadmin EMAIL=you@example.com PASSWORD=…"; exit 2; }
	@services/identity/entrypoint.sh manage createadmin --email "$(EMAIL)" --password "$(PASSWORD)"

seed: bootstrap  ## fill the running platform with demo data through the gateway (idempotent)
	@services/identity/entrypoint.sh manage createadmin --email "$${SEED_ADMIN_EMAIL:-admin@demo.example}" --password "$${SEED_ADMIN_PASSWORD:-demo-Admin-2026!}"
	@$(PY) scripts/seed.py

openapi: bootstrap  ## regenerate contracts/openapi/<service>.json from the code (the gateway merges them)
	@for s in $(SERVICES); do \
	  (cd services/$$s && DJANGO_ENV=development ../../$(PY) manage.py spectacular --validate --fail-on-warn \
	    --format openapi-json --file ../../contracts/openapi/$$s.json) || exit 1; \
	done; echo "contracts/openapi: $(SERVICES)"

lint:  ## ruff over the whole tree, the import rules (pyproject.toml) and mypy on servicekit
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache
	@# From shared-lib/, where the django-stubs plugin finds servicekit's test settings.
	@cd shared-lib && ../$(VENV)/bin/mypy --config-file ../pyproject.toml src/servicekit

fmt:  ## format and autofix with ruff
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: bootstrap  ## run the benchmarks (they print figures; nothing is asserted)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

load: bootstrap  ## load test: 50 users, 60 s of realistic traffic; p50/p95/p99 per operation (HOST=http://localhost:8080 for make run)
	@# Without HOST it starts a platform of its own (tests/harness.py). LOAD_ARGS: --users, --run-time, --check …
	@$(PY) tests/load/run.py $(if $(HOST),--host $(HOST)) $(LOAD_ARGS)

audit: bootstrap  ## the installed dependencies against known vulnerabilities (pip-audit; needs the network)
	@$(PY) scripts/audit.py

clean:  ## remove generated files (keeps the dev keys and the venv)
	@rm -rf var/gateway var/test-reports var/run var/log var/celerybeat

# --- containers and deployment (docs/operations.md) ---
IMAGE_TAG ?= dev
REGISTRY ?= platform
OVERLAY ?= dev
IMAGES ?= $(SERVICES) gateway
COMPOSE := docker compose

.PHONY: images up down k8s-render deploy-check

images:  ## build every image: make images [IMAGE_TAG=dev] [REGISTRY=platform] [IMAGES="catalog gateway"]
	@# One image per service, each from services/Dockerfile with its SERVICE; the gateway's own.
	@for i in $(IMAGES); do \
	  echo "building $(REGISTRY)/$$i:$(IMAGE_TAG)"; \
	  if [ $$i = gateway ]; then build=(-f gateway/Dockerfile); \
	  else build=(-f services/Dockerfile --build-arg SERVICE=$$i); fi; \
	  docker build "$${build[@]}" -t $(REGISTRY)/$$i:$(IMAGE_TAG) . || exit 1; \
	done

up:  ## start the development stack in containers (gateway on :8080)
	@$(COMPOSE) -f docker-compose.yml up --build --detach
	@echo "gateway: http://localhost:8080  (docs: http://localhost:8080/api/docs, RabbitMQ UI: http://localhost:15672)"

down:  ## stop the development stack (volumes kept; add ARGS=--volumes to drop them)
	@$(COMPOSE) -f docker-compose.yml down $(ARGS)

k8s-render:  ## print the Kubernetes manifests of an overlay: make k8s-render OVERLAY=dev|prod
	@# Renders only (kubectl kustomize, see deploy/tools/kustomize.sh); tests/deploy validates.
	@{ [ "$(OVERLAY)" != dev ] || deploy/tools/dev-keys.sh; } && \
	  deploy/tools/kustomize.sh deploy/k8s/overlays/$(OVERLAY)

deploy-check:  ## validate compose files, overlays and Dockerfiles (installs its tools into var/tools)
	@$(PY) -m pytest -q tests/deploy
