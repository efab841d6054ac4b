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
# LOG_FORMAT=json (the default, as in the services): everything on stderr (render.py's lines,
# nginx's error log and what nginx says before it reads its configuration) goes through a
# line -> JSON filter; the access log (stdout) is JSON already (nginx.conf.template).
if [ "${LOG_FORMAT:-json}" != text ]; then
  exec 2> >(exec "$python" "$root/gateway/logfilter.py")
fi
"$python" "$root/gateway/render.py" --out "$prefix"

# -e stderr: nginx's error log from the very start (else its compiled-in file until the
# configuration, which says `error_log stderr`, is read).
exec "$nginx" -e stderr -p "$prefix/" -c "$prefix/nginx.conf" -g 'daemon off;'
