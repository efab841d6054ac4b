#!/usr/bin/env bash
# Same script natively and in the container: wait for dependencies, migrate when asked, exec.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")"
export SERVICE_NAME=messaging
exec "${PYTHON:-python}" -m servicekit.entrypoint "$@"
