#!/usr/bin/env python3
"""Render the gateway's nginx config (nginx/) into a self-contained nginx prefix.

    python gateway/render.py [--out DIR] [--check]

The same templates serve native runs, docker compose and Kubernetes; only environment
variables differ (defaults are the native ones, see SETTINGS). The output directory holds
everything nginx needs to run unprivileged with ``nginx -p DIR/ -c DIR/nginx.conf``:
the config, its snippets, the front door (``GET /``), the /api/docs page with its Swagger UI
assets, the platform's OpenAPI document for /api/schema/ (every service's, merged), logs/ and tmp/.
``--check`` validates the result with ``nginx -t``. Standard library only.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "nginx"
# Each service's OpenAPI document, written by `make openapi` and kept current by the service's
# conformance tests: the gateway serves them merged, so it needs no service to be up.
OPENAPI_DIR = ROOT / "contracts" / "openapi"

# The route table's upstreams and their native ports; the routes are in nginx.conf.template.
SERVICES = {
    "identity": 8001,
    "catalog": 8002,
    "orders": 8003,
    "builds": 8004,
    "messaging": 8005,
    "analytics": 8006,
}

# The front door (GET /): what the gateway routes for people, by section. Paths only, so the page
# works under whatever host and port the gateway is reached at. The JSON answer (and the HTML
# page for browsers) are rendered from this one table.
FRONT_DOOR: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "API",
        (
            ("docs", "API documentation (Swagger UI, every service)", "/api/docs"),
            ("schema", "OpenAPI document of the whole platform", "/api/schema/"),
            *((f"schema:{name}", f"OpenAPI document of {name}", f"/api/schema/{name}/") for name in SERVICES),
        ),
    ),
    (
        "Health",
        (
            ("health:gateway", "gateway (alive)", "/healthz"),
            *(
                (f"health:{name}", f"{name} (database, broker, cache)", f"/health/{name}/")
                for name in SERVICES
            ),
        ),
    ),
    ("Admins", tuple((f"admin:{name}", f"{name} admin", f"/admin/{name}/") for name in SERVICES)),
    (
        "Consoles and dashboards",
        (
            ("builds-console", "builds console (flatpak builds and repositories)", "/builds/"),
            ("analytics-dashboard", "analytics dashboard", "/analytics/"),
        ),
    ),
)

_PORT = r"[0-9]{1,5}"
_HOST_PORT = rf"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):{_PORT}"
_UNIX_PATH = r"unix:/[A-Za-z0-9._/+@-]+"
_UPSTREAM = rf"{_HOST_PORT}|{_UNIX_PATH}"
_RATE = r"[0-9]+r/[sm]"
_COUNT = r"[0-9]+"
_SIZE = r"[0-9]+[kKmMgG]?"
_TIME = r"[0-9]+(?:ms|s|m)?"
_ORIGIN = r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?"
_ADDRESS = r"[0-9A-Fa-f.:]+(?:/[0-9]{1,3})?"
_ABSOLUTE_PATH = r"/[A-Za-z0-9._/+@-]*"

# Environment variable -> (native default, the shape its value must have). Values land in
# the nginx config verbatim, so each is checked against its pattern first.
SETTINGS: dict[str, tuple[str, str]] = {
    "GATEWAY_PORT": ("8080", _PORT),
    # host:port, or unix:/path of a socket on this host; the default is the native port, or the
    # service's socket in SERVICE_SOCKET_DIR when that is set (see upstream_defaults).
    **{f"{name.upper()}_UPSTREAM": (f"127.0.0.1:{port}", _UPSTREAM) for name, port in SERVICES.items()},
    "GATEWAY_RATE_GENERAL": ("50r/s", _RATE),
    "GATEWAY_BURST_GENERAL": ("100", _COUNT),
    "GATEWAY_RATE_AUTH": ("5r/s", _RATE),
    "GATEWAY_BURST_AUTH": ("10", _COUNT),
    # Downloads of builds' repositories: a pull asks for every object of an app, hundreds a second.
    "GATEWAY_RATE_DOWNLOADS": ("500r/s", _RATE),
    "GATEWAY_BURST_DOWNLOADS": ("2000", _COUNT),
    "GATEWAY_MAX_BODY": ("1m", _SIZE),
    "GATEWAY_MAX_BODY_UPLOADS": ("10m", _SIZE),
    # Body limit of the flat-manager upload route (the only builds route with large bodies).
    "GATEWAY_MAX_BODY_BUILDS": ("2g", _SIZE),
    # builds' storage tree (the service's BUILDS_STORAGE_DIR): nginx serves /repo/ and
    # /build-repo/ from it. Natively the service's default; a shared volume in containers.
    "BUILDS_STORAGE_DIR": (str(ROOT / "services" / "builds" / "var" / "builds"), _ABSOLUTE_PATH),
    # How long the gateway keeps the service's answer to "may these credentials download from
    # this repository or build".
    "BUILDS_AUTH_CACHE_SECONDS": ("5", _COUNT),
    "GATEWAY_PROXY_CONNECT_TIMEOUT": ("5s", _TIME),
    "GATEWAY_PROXY_READ_TIMEOUT": ("60s", _TIME),
    "GATEWAY_WORKER_PROCESSES": ("auto", rf"auto|{_COUNT}"),
    # Comma-separated lists.
    "CORS_ALLOWED_ORIGINS": ("http://localhost:3000,http://127.0.0.1:3000", _ORIGIN),
    "GATEWAY_TRUSTED_PROXIES": ("", _ADDRESS),
}
LISTS = {"CORS_ALLOWED_ORIGINS", "GATEWAY_TRUSTED_PROXIES"}

SWAGGER_ASSETS = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "oauth2-redirect.html",
    "oauth2-redirect.js",
)
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "builds_auth")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}")


class ConfigError(Exception):
    pass


def upstream_defaults(env: Mapping[str, str]) -> dict[str, str]:
    """Natively every web process also listens on ``$SERVICE_SOCKET_DIR/<service>.sock``
    (servicekit's gunicorn config): with the directory set, the gateway proxies to those. The
    directory must be absolute (a relative one fails the upstream pattern, naming it)."""
    directory = (env.get("SERVICE_SOCKET_DIR") or "").strip()
    if not directory:
        return {}
    return {f"{name.upper()}_UPSTREAM": f"unix:{directory}/{name}.sock" for name in SERVICES}


def read_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The SETTINGS values from ``env`` (unset or empty means the default), all validated."""
    values, problems = {}, []
    defaults = upstream_defaults(env)
    for name, (native_default, pattern) in SETTINGS.items():
        default = defaults.get(name, native_default)
        value = (env.get(name) or default).strip()
        items = [item.strip() for item in value.split(",") if item.strip()] if name in LISTS else [value]
        bad = [item for item in items if not re.fullmatch(pattern, item)]
        if bad:
            source = " (from SERVICE_SOCKET_DIR)" if name in defaults and not env.get(name) else ""
            problems.append(f"{name}={value!r}{source}: {', '.join(map(repr, bad))} does not match {pattern}")
        values[name] = ",".join(items)
    if problems:
        raise ConfigError("invalid gateway settings:\n  " + "\n  ".join(problems))
    return values


def derived(values: dict[str, str]) -> dict[str, str]:
    """Placeholders built from the settings: whole config lines, not single values."""
    origins = [o for o in values["CORS_ALLOWED_ORIGINS"].split(",") if o]
    proxies = [p for p in values["GATEWAY_TRUSTED_PROXIES"].split(",") if p]
    real_ip = [f"    set_real_ip_from {p};" for p in proxies]
    if real_ip:
        real_ip += ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
    schema_urls = [
        {"url": "/api/schema/", "name": "platform (every service)"},
        *({"url": f"/api/schema/{name}/?format=json", "name": name} for name in SERVICES),
    ]
    return {
        # Started as root (a dev machine): workers keep root so they can use the prefix
        # wherever it lives. The container starts nginx as an unprivileged user instead.
        "USER_DIRECTIVE": "user root;" if os.geteuid() == 0 else "",
        "CORS_ORIGIN_MAP": "\n".join(f'        "{o}" $http_origin;' for o in origins),
        "REAL_IP": "\n".join(real_ip),
        "SCHEMA_URLS": json.dumps(schema_urls).replace("</", "<\\/"),
        "FRONT_DOOR_JSON": front_door_json(),
        "FRONT_DOOR_SECTIONS": front_door_sections(),
    }


def front_door_links() -> list[dict[str, str]]:
    return [
        {"rel": rel, "section": section, "title": title, "href": href}
        for section, links in FRONT_DOOR
        for rel, title, href in links
    ]


def front_door_json() -> str:
    """The JSON answer of ``GET /``, as the single-quoted string of nginx's ``return`` (its
    request id is nginx's ``$req_id``): the platform's envelope, like every gateway answer."""
    links = front_door_links()
    unsafe = [value for link in links for value in link.values() if re.search(r"['\"$\\\\;{}]", value)]
    if unsafe:  # they land inside nginx's single-quoted string, where $ expands
        raise ConfigError(f"front door texts with quotes, $, backslashes, braces or semicolons: {unsafe}")
    data = json.dumps({"name": "Platform API gateway", "links": links}, separators=(",", ":"))
    return '{"data":' + data + ',"meta":{"request_id":"$req_id"}}'


def front_door_sections() -> str:
    """The HTML page's sections: one list of links each."""
    parts = []
    for section, links in FRONT_DOOR:
        items = "\n".join(
            f'      <li><a href="{html.escape(href)}" data-rel="{html.escape(rel)}">{html.escape(title)}</a>'
            f" <code>{html.escape(href)}</code></li>"
            for rel, title, href in links
        )
        parts.append(
            f"    <section>\n    <h2>{html.escape(section)}</h2>\n    <ul>\n{items}\n    </ul>\n    </section>"
        )
    return "\n".join(parts)


def substitute(text: str, values: Mapping[str, str], source: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ConfigError(f"{source}: unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(replace, text)


def swagger_dist(env: Mapping[str, str]) -> Path:
    """Swagger UI assets from drf-spectacular-sidecar (or SWAGGER_UI_DIST): no CDN."""
    if env.get("SWAGGER_UI_DIST"):
        path = Path(env["SWAGGER_UI_DIST"])
    else:
        spec = importlib.util.find_spec("drf_spectacular_sidecar")
        if spec is None or spec.origin is None:
            raise ConfigError(
                "Swagger UI assets not found: install drf-spectacular-sidecar into this Python "
                "(pip install drf-spectacular-sidecar) or set SWAGGER_UI_DIST to a swagger-ui-dist directory"
            )
        path = Path(spec.origin).parent / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist"
    missing = [name for name in SWAGGER_ASSETS if not (path / name).is_file()]
    if missing:
        raise ConfigError(f"{path} lacks Swagger UI assets: {', '.join(missing)}")
    return path


# --- the platform's OpenAPI document ----------------------------------------------------
_COMPONENT_REF = re.compile(r"^#/components/(?P<kind>[A-Za-z]+)/(?P<name>[^/]+)$")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def read_service_documents(directory: Path = OPENAPI_DIR) -> dict[str, dict[str, Any]]:
    documents = {}
    for name in SERVICES:
        path = directory / f"{name}.json"
        try:
            documents[name] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path}: cannot read the service's OpenAPI document ({exc}); run `make openapi`"
            ) from None
    return documents


def platform_document(documents: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """One OpenAPI document for the whole platform, from each service's.

    The paths are the gateway's own (services mount theirs unchanged). A component several
    services define alike (servicekit's envelope pieces, the security schemes) appears once;
    a name that services define differently becomes ``<Service><Name>`` in each of them,
    references included, and so does an operationId two services share (``<service>_<id>``).
    """
    versions = {document["openapi"] for document in documents.values()}
    if len(versions) != 1:
        raise ConfigError(f"the services' OpenAPI documents disagree on the version: {sorted(versions)}")
    renamed = _clashing_components(documents)
    operation_ids = Counter(op["operationId"] for doc in documents.values() for op in _operations(doc))
    merged: dict[str, Any] = {
        "openapi": versions.pop(),
        "info": {
            "title": "Platform API",
            "version": "1.0.0",
            "description": "Every service's API through the gateway; each service's own is at `/api/schema/<service>/`.",
        },
        "paths": {},
        "components": {},
    }
    for service, document in documents.items():
        rename = {key[1:]: name for key, name in renamed.items() if key[0] == service}
        document = _with_refs_renamed(document, rename)
        for kind, components in document.get("components", {}).items():
            for name, definition in components.items():
                merged["components"].setdefault(kind, {})[rename.get((kind, name), name)] = definition
        for path, item in document["paths"].items():
            if path in merged["paths"]:
                raise ConfigError(f"two services document {path}")
            for operation in _operations({"paths": {path: item}}):
                if operation_ids[operation["operationId"]] > 1:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
            merged["paths"][path] = item
    return merged


def _operations(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        op for item in document["paths"].values() for method, op in item.items() if method in HTTP_METHODS
    ]


def _clashing_components(documents: Mapping[str, dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """``{(service, kind, name): new name}`` for the names services define differently."""
    definitions: dict[tuple[str, str], dict[str, Any]] = {}
    for service, document in documents.items():
        for kind, components in document.get("components", {}).items():
            for name, definition in components.items():
                definitions.setdefault((kind, name), {})[service] = definition
    renamed = {}
    for (kind, name), by_service in definitions.items():
        if len({json.dumps(d, sort_keys=True) for d in by_service.values()}) == 1:
            continue
        if kind == "securitySchemes":  # named by every operation's security, not by a $ref
            raise ConfigError(f"services define the security scheme {name!r} differently")
        renamed |= {(service, kind, name): f"{service.capitalize()}{name}" for service in by_service}
    return renamed


def _with_refs_renamed(value: Any, rename: Mapping[tuple[str, str], str]) -> Any:
    if isinstance(value, list):
        return [_with_refs_renamed(item, rename) for item in value]
    if not isinstance(value, dict):
        return value
    ref = _COMPONENT_REF.match(value["$ref"]) if isinstance(value.get("$ref"), str) else None
    if ref and (ref["kind"], ref["name"]) in rename:
        return {**value, "$ref": f"#/components/{ref['kind']}/{rename[ref['kind'], ref['name']]}"}
    return {key: _with_refs_renamed(item, rename) for key, item in value.items()}


def absent_services(env: Mapping[str, str]) -> list[str]:
    """``GATEWAY_ABSENT_SERVICES``: services not running (``make run SERVICES=…`` starts a
    subset), whose routes the gateway answers itself with a 503 envelope."""
    names = [n.strip() for n in (env.get("GATEWAY_ABSENT_SERVICES") or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise ConfigError(f"GATEWAY_ABSENT_SERVICES: unknown services {', '.join(unknown)}")
    return names


def absent_servers(out: Path, names: list[str]) -> tuple[dict[str, str], str]:
    """For each absent service, the upstream (a unix socket in the prefix) and the small server
    on it that answers every request with the platform's 503 envelope (and its X-Error-Code,
    which the access log records)."""
    upstreams, blocks = {}, []
    for name in names:
        path = out / f"absent-{name}.sock"
        path.unlink(missing_ok=True)  # left by an nginx that did not exit cleanly
        upstreams[f"{name.upper()}_UPSTREAM"] = f"unix:{path}"
        body = json.dumps(
            {
                "error": {
                    "code": "upstream_unavailable",
                    "message": f"The {name} service is not running on this platform.",
                    "details": {"service": name},
                },
                "meta": {"request_id": "$http_x_request_id"},
            },
            separators=(",", ":"),
        )
        blocks.append(
            f"    # {name} is not running (make run SERVICES=...): its routes answer 503.\n"
            f"    server {{\n"
            f"        listen unix:{path};\n"
            f"        access_log off;\n"
            f"        location / {{\n"
            f"            types {{ }}\n"
            f"            default_type application/json;\n"
            f"            add_header X-Error-Code upstream_unavailable always;\n"
            f"            return 503 '{body}';\n"
            f"        }}\n"
            f"    }}"
        )
    return upstreams, "\n".join(blocks)


def render(out: Path, env: Mapping[str, str] = os.environ) -> Path:
    """Write the prefix into ``out`` and return the path of its nginx.conf."""
    values = read_settings(env)
    values |= derived(values)
    absent_upstreams, values["ABSENT_SERVICES"] = absent_servers(out, absent_services(env))
    values |= absent_upstreams
    dist = swagger_dist(env)

    def write(source: Path, target: Path) -> None:
        target.write_text(substitute(source.read_text(), values, source))

    out.mkdir(parents=True, exist_ok=True)
    for name in ("logs", *(f"tmp/{d}" for d in TEMP_DIRS)):
        (out / name).mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "snippets", ignore_errors=True)  # generated: no stale snippet survives
    (out / "snippets").mkdir()
    for snippet in sorted((SOURCE / "snippets").glob("*.conf")):
        write(snippet, out / "snippets" / snippet.name)
    docs = out / "html" / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    write(SOURCE / "templates" / "docs.html", docs / "index.html")
    write(SOURCE / "templates" / "swagger-initializer.js", docs / "swagger-initializer.js")
    for name in SWAGGER_ASSETS:
        shutil.copyfile(dist / name, docs / name)
    front_door = out / "html" / "front-door"
    front_door.mkdir(parents=True, exist_ok=True)
    write(SOURCE / "templates" / "front-door.html", front_door / "index.html")
    schema = out / "html" / "schema"
    schema.mkdir(parents=True, exist_ok=True)
    merged = platform_document(read_service_documents())
    (schema / "openapi.json").write_text(json.dumps(merged, separators=(",", ":"), ensure_ascii=False))
    conf = out / "nginx.conf"
    write(SOURCE / "nginx.conf.template", conf)
    return conf


def nginx_binary(env: Mapping[str, str] = os.environ) -> str | None:
    candidates = [env.get("NGINX_BIN"), shutil.which("nginx"), "/usr/sbin/nginx"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def check(conf: Path, env: Mapping[str, str] = os.environ) -> None:
    nginx = nginx_binary(env)
    if nginx is None:
        raise ConfigError("nginx not found: install it (Debian/Ubuntu: sudo apt-get install -y nginx)")
    result = subprocess.run(
        [nginx, "-t", "-q", "-p", f"{conf.parent}/", "-c", str(conf)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ConfigError(f"nginx -t rejected {conf}:\n{result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(os.environ.get("GATEWAY_PREFIX") or ROOT / "var" / "gateway"),
        help="output prefix directory (default: $GATEWAY_PREFIX or var/gateway)",
    )
    parser.add_argument("--check", action="store_true", help="validate the result with nginx -t")
    args = parser.parse_args(argv)
    try:
        conf = render(args.out.resolve())
        if args.check:
            check(conf)
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 1
    print(f"gateway: rendered {conf}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
