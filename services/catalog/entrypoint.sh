#!/usr/bin/env bash
# Same script natively and in the container: wait for dependencies, migrate when asked, exec.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")"
export SERVICE_NAME=catalog
# PYTHON if set (the image sets its venv's); else, run from a checkout, the repository's .venv
# (made by `make bootstrap`), so an operator's plain shell needs no PYTHON=.venv/bin/python.
if [ -z "${PYTHON:-}" ] && [ -x ../../.venv/bin/python ]; then
  PYTHON=$(cd ../.. && pwd)/.venv/bin/python
fi
exec "${PYTHON:-python}" -m servicekit.entrypoint "$@"
