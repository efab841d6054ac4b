"""gateway/render.py and gateway/run.sh on their own: no services needed."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import openapi_spec_validator
import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gateway_render", ROOT / "gateway" / "render.py")
render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render)


def rendered_text(out: Path) -> str:
    return "\n".join(p.read_text() for p in [out / "nginx.conf", *sorted((out / "snippets").glob("*.conf"))])


def test_native_defaults_render_a_valid_complete_prefix(tmp_path):
    conf = render.render(tmp_path, env={})
    render.check(conf, env={})  # nginx -t
    text = rendered_text(tmp_path)
    assert not render.PLACEHOLDER.search(text)
    assert "listen 8080 default_server;" in text
    assert "server 127.0.0.1:8001;" in text and "server 127.0.0.1:8006;" in text
    assert "rate=5r/s" in text and "client_max_body_size 2g;" in text
    for name in ("logs", "tmp/proxy", "tmp/client_body", "html/docs/swagger-ui-bundle.js"):
        assert (tmp_path / name).exists(), name
    assert not render.PLACEHOLDER.search((tmp_path / "html" / "docs" / "index.html").read_text())


def test_compose_style_upstreams_and_origins(tmp_path):
    env = {
        **{f"{name.upper()}_UPSTREAM": f"{name}:8000" for name in render.SERVICES},
        "CORS_ALLOWED_ORIGINS": "https://shop.example.com, http://localhost:5173",
        "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8",
    }
    render.render(tmp_path, env=env)
    text = rendered_text(tmp_path)
    assert "server identity:8000;" in text and "server analytics:8000;" in text
    assert '"https://shop.example.com" $http_origin;' in text
    assert '"http://localhost:5173" $http_origin;' in text
    assert "set_real_ip_from 10.0.0.0/8;" in text


def test_a_socket_dir_points_every_upstream_at_its_unix_socket(tmp_path):
    env = {"SERVICE_SOCKET_DIR": "/srv/platform/run", "ORDERS_UPSTREAM": "127.0.0.1:9003"}
    conf = render.render(tmp_path, env=env)
    render.check(conf, env={})
    text = rendered_text(tmp_path)
    assert "server unix:/srv/platform/run/identity.sock;" in text
    assert "server unix:/srv/platform/run/analytics.sock;" in text
    assert "server 127.0.0.1:9003;" in text  # an explicit upstream still wins


def test_a_socket_dir_nginx_cannot_take_is_refused_by_name(tmp_path):
    with pytest.raises(render.ConfigError, match=r"CATALOG_UPSTREAM=.*\(from SERVICE_SOCKET_DIR\)"):
        render.render(tmp_path, env={"SERVICE_SOCKET_DIR": "/my run dir"})
    with pytest.raises(render.ConfigError, match=r"\(from SERVICE_SOCKET_DIR\)"):
        render.render(tmp_path, env={"SERVICE_SOCKET_DIR": "var/run"})  # relative


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CATALOG_UPSTREAM", "unix:relative.sock"),
        ("CATALOG_UPSTREAM", "unix:/run/x.sock; evil"),
        ("GATEWAY_RATE_AUTH", "5r/s; evil"),
        ("GATEWAY_MAX_BODY", "1 m"),
        ("CATALOG_UPSTREAM", "catalog"),
        ("CORS_ALLOWED_ORIGINS", 'https://ok.example.com,https://x.example.com" $x'),
        ("GATEWAY_PORT", "80;"),
    ],
)
def test_values_that_would_break_the_config_are_refused(tmp_path, name, value):
    with pytest.raises(render.ConfigError, match=name):
        render.render(tmp_path, env={name: value})


# Every error nginx can make on its own, by status (494: a request header too large).
GATEWAY_ERRORS = {400, 403, 404, 405, 408, 411, 412, 413, 414, 416, 429, 494, 500, 501, 502, 503, 504, 505}


def test_every_gateway_error_has_an_envelope_page(tmp_path):
    render.render(tmp_path, env={})
    errors = (tmp_path / "snippets" / "errors.conf").read_text()
    pages = {
        target: body
        for target, body in re.findall(
            r"^location (?:= )?(\S+) \{\n(.*?)^\}", errors, re.MULTILINE | re.DOTALL
        )
    }
    covered = set()
    for codes, overwrite, target in re.findall(
        r"^error_page ((?:\d{3} )+)(?:=(\d{3}) )?(\S+);", errors, re.MULTILINE
    ):
        assert target in pages, target
        page = pages[target]
        if target.startswith("/"):
            assert "internal;" in page, target  # never reachable from outside
        assert "default_type application/json;" in page and "types { }" in page, target
        status, body = re.search(r"return (\d{3}) '(.*)';", page).groups()
        for code in map(int, codes.split()):
            covered.add(code)
            assert int(status) == int(overwrite or code), (code, target)
        envelope = json.loads(re.sub(r"\$\w+", "x", body))
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", envelope["error"]["code"])
        assert envelope["error"]["message"] and isinstance(envelope["error"]["details"], dict)
        assert "$req_id" in body and envelope["meta"] == {"request_id": "x"}
    assert covered >= GATEWAY_ERRORS, GATEWAY_ERRORS - covered


def test_run_sh_says_how_to_install_a_missing_nginx(tmp_path):
    env = {**os.environ, "NGINX_BIN": str(tmp_path / "no-nginx"), "GATEWAY_PREFIX": str(tmp_path)}
    result = subprocess.run([ROOT / "gateway" / "run.sh"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "apt-get install -y nginx" in result.stderr


# --- the platform's OpenAPI document (/api/schema/): every service's, merged ---------------
def service_document(path: str, operation_id: str, **schemas) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "operationId": operation_id,
                    "security": [{"bearerAuth": []}],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def test_the_platform_document_merges_the_services_and_renames_only_what_clashes():
    meta = {"type": "object", "properties": {"request_id": {"type": "string"}}}
    documents = {
        "catalog": service_document(
            "/api/v1/catalog/items/", "items_list", Item={"type": "string"}, ResponseMeta=meta
        ),
        "orders": service_document(
            "/api/v1/orders/items/", "items_list", Item={"type": "integer"}, ResponseMeta=meta
        ),
    }

    merged = render.platform_document(documents)

    assert list(merged["paths"]) == ["/api/v1/catalog/items/", "/api/v1/orders/items/"]
    schemas = merged["components"]["schemas"]
    assert schemas == {
        "CatalogItem": {"type": "string"},
        "OrdersItem": {"type": "integer"},
        "ResponseMeta": meta,
    }
    catalog = merged["paths"]["/api/v1/catalog/items/"]["get"]
    orders = merged["paths"]["/api/v1/orders/items/"]["get"]
    assert catalog["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CatalogItem"
    }
    assert orders["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrdersItem"
    }
    assert (catalog["operationId"], orders["operationId"]) == ("catalog_items_list", "orders_items_list")
    assert merged["components"]["securitySchemes"] == {"bearerAuth": {"type": "http", "scheme": "bearer"}}
    assert documents["catalog"]["components"]["schemas"]["Item"] == {"type": "string"}  # inputs untouched


def test_the_platform_document_refuses_what_it_cannot_merge(tmp_path):
    one = service_document("/api/v1/a/", "a")
    other = service_document("/api/v1/a/", "b")
    with pytest.raises(render.ConfigError, match="two services document /api/v1/a/"):
        render.platform_document({"catalog": one, "orders": other})
    other = service_document("/api/v1/b/", "b")
    other["components"]["securitySchemes"]["bearerAuth"]["scheme"] = "basic"
    with pytest.raises(render.ConfigError, match="security scheme 'bearerAuth'"):
        render.platform_document({"catalog": one, "orders": other})
    with pytest.raises(render.ConfigError, match="identity.json: cannot read.*run `make openapi`"):
        render.read_service_documents(tmp_path)


def test_the_rendered_platform_document_holds_every_committed_service_document(tmp_path):
    render.render(tmp_path, env={})
    merged = json.loads((tmp_path / "html" / "schema" / "openapi.json").read_text())
    openapi_spec_validator.validate(merged)
    for name, document in render.read_service_documents().items():
        assert document["paths"].items() <= merged["paths"].items(), name


def test_the_front_door_json_is_an_envelope_nginx_can_return():
    text = render.front_door_json()
    assert text.count("$") == 1  # only nginx's request id expands
    body = json.loads(text.replace("$req_id", "r-1"))
    assert body["meta"] == {"request_id": "r-1"}
    assert [link["href"] for link in body["data"]["links"]] == [
        href for _, links in render.FRONT_DOOR for _, _, href in links
    ]


def test_front_door_texts_that_would_break_the_config_are_refused(monkeypatch):
    monkeypatch.setattr(render, "FRONT_DOOR", (("API", (("docs", "docs'; return 500", "/api/docs"),)),))
    with pytest.raises(render.ConfigError, match="front door"):
        render.front_door_json()
