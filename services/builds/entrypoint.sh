#!/usr/bin/env bash
# Same script natively and in the container: wait for dependencies, migrate when asked, exec.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")"
export SERVICE_NAME=builds
# The web process serves builds.asgi (uvicorn workers): live log followers hold no worker.
export WEB_INTERFACE=asgi
exec "${PYTHON:-python}" -m servicekit.entrypoint "$@"
