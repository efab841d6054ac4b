#!/usr/bin/env bash
# Start the gateway in the foreground: render the config from the environment, then exec
# nginx (so signals and the exit status are nginx's). The Procfile and the container run this.
set -o errexit -o nounset -o pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

nginx=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ ! -x "$nginx" ]; then
  echo "gateway: nginx not found${NGINX_BIN:+ at $NGINX_BIN}. Install it:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y nginx" >&2
  echo "  macOS:         brew install nginx" >&2
  exit 127
fi

# render.py needs a Python with drf-spectacular-sidecar (the Swagger UI assets): the venv natively.
python=${PYTHON:-$( [ -x "$root/.venv/bin/python" ] && echo "$root/.venv/bin/python" || echo python3 )}
prefix=$(mkdir -p "${GATEWAY_PREFIX:-$root/var/gateway}" && cd "${GATEWAY_PREFIX:-$root/var/gateway}" && pwd)
"$python" "$root/gateway/render.py" --out "$prefix"

exec "$nginx" -p "$prefix/" -c "$prefix/nginx.conf" -g 'daemon off;'
