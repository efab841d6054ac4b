#!/usr/bin/env bash
# Same script natively and in the container: wait for dependencies, migrate when asked, exec.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")"
export SERVICE_NAME=builds
# The web process serves builds.asgi (uvicorn workers): live log followers hold no worker.
export WEB_INTERFACE=asgi
# The gateway's nginx (another user: uid 101) serves the repositories this service writes on
# the shared volume: whatever it creates must be readable by others, whatever umask the
# container runtime or the host's shell hands down (some default to 027 or 077).
umask 0022
# PYTHON if set (the image sets its venv's); else, run from a checkout, the repository's .venv
# (made by `make bootstrap`), so an operator's plain shell needs no PYTHON=.venv/bin/python.
if [ -z "${PYTHON:-}" ] && [ -x ../../.venv/bin/python ]; then
  PYTHON=$(cd ../.. && pwd)/.venv/bin/python
fi
exec "${PYTHON:-python}" -m servicekit.entrypoint "$@"
