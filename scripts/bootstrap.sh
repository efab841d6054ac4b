#!/usr/bin/env bash
# Prepare this machine to run or test the platform; idempotent and quick when nothing changed.
#  - a virtualenv (.venv) with servicekit and every service installed in editable mode
#  - the services' browser assets from the npm registry (npm ci, when a package-lock.json changed)
#  - nginx from the distribution when it is missing (needs root)
#  - ostree and flatpak (the builds service's tools) likewise, and chromium for the browser tests
#  - checks that Postgres, RabbitMQ and Redis answer, and says exactly what is missing
#  - the platform database with one schema and one role per service
#  - development JWT signing keys under var/keys (generated once)
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

PYTHON3=${PYTHON3:-python3}
SERVICES="identity catalog orders builds messaging analytics"
log() { printf '[bootstrap] %s\n' "$*"; }
apt_updated=""
apt_install() {  # install Debian packages as root; refresh the package lists once per run
  [ -n "$apt_updated" ] || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need_tool() {  # need_tool <command> <Debian package>: install it as root, or say how and stop
  if command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $2 from the distribution"
    apt_install "$2"
  else
    log "$1 is missing: install it with 'sudo apt-get install -y $2' (or your OS's package)"
    exit 1
  fi
}

# 1. virtualenv and packages (reinstalled only when a pyproject or requirements file changes)
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PYTHON3 --version)"
  "$PYTHON3" -m venv .venv
fi
stamp=.venv/.platform-installed
wanted=$(cat requirements-dev.txt shared-lib/pyproject.toml services/*/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  log "installing servicekit, the six services and the dev tools into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  args=(-e "shared-lib[test]" -r requirements-dev.txt)
  for s in $SERVICES; do args+=(-e "services/$s"); done
  .venv/bin/python -m pip install --quiet "${args[@]}"
  echo "$wanted" > "$stamp"
fi

# 1b. browser assets from the npm registry (analytics' Chart.js): `npm ci` in each service with a
# package-lock.json, again only when the lock changes; its static files serve them (no CDN).
for lock in services/*/package-lock.json; do
  [ -e "$lock" ] || continue
  dir=$(dirname "$lock")
  npm_stamp="$dir/node_modules/.platform-installed"
  npm_wanted=$(sha256sum "$lock" | cut -d' ' -f1)
  [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_wanted" ] || continue
  need_tool npm npm
  log "installing $dir's browser assets (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  echo "$npm_wanted" > "$npm_stamp"
done

# 2. nginx for the gateway
need_tool nginx nginx

# Debian packages the services need at run time: the lists their images install too
# (services/<service>/system-packages.txt, one a line, # comments).
read -r -a listed <<<"$(sed 's/#.*//' services/*/system-packages.txt | xargs)"
# And the test tools: Debian's chromium and its driver for the builds console's browser test
# (tests/e2e drives them headless with selenium; a font for its screenshots); no image needs them.
listed+=(chromium chromium-driver fonts-dejavu-core)
absent=()
for p in "${listed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || absent+=("$p")
done
if [ ${#absent[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing the services' and the tests' Debian packages: ${absent[*]}"
    apt_install --no-install-recommends "${absent[@]}"
  else
    log "missing Debian packages: install them with 'sudo apt-get install -y ${absent[*]}'"
    exit 1
  fi
fi

# wrk drives the HTTP benchmarks under bench/ (optional: only `make bench` needs it)
if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing wrk for the benchmarks"
  apt_install wrk || log "wrk not installed; make bench will say so"
fi

# 3. infrastructure the platform needs
missing=()
.venv/bin/python scripts/wait_for.py --timeout "${WAIT_TIMEOUT_SECONDS:-20}" \
  "postgres=${POSTGRES_HOST:-127.0.0.1}:${POSTGRES_PORT:-5432}" \
  "rabbitmq=${RABBITMQ_HOST:-127.0.0.1}:${RABBITMQ_PORT:-5672}" \
  "redis=${REDIS_HOST:-127.0.0.1}:${REDIS_PORT:-6379}" || missing+=(infrastructure)
if [ ${#missing[@]} -gt 0 ]; then
  log "start the missing servers (see docs/development.md), then run this again"
  exit 1
fi

# 4. database, schemas, roles; 5. development signing keys
.venv/bin/python scripts/db_bootstrap.py
.venv/bin/python scripts/dev_keys.py
log "ready"
