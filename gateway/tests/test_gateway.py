"""The gateway's behaviour over HTTP: a real nginx, real services (see conftest.py)."""

from __future__ import annotations

import gzip
import json
import re
import uuid

import openapi_spec_validator
import pytest
from conftest import ROOT, SERVICES

from servicekit.testing.polling import wait_until

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")  # nginx's $request_id


def assert_envelope(response, status: int, code: str) -> dict:
    """A gateway or service error: the contract's envelope, the request id in header and body."""
    assert response.status == status, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    assert body["meta"]["request_id"] == response.request_id
    return body


def new_id() -> str:
    return f"test-{uuid.uuid4().hex}"


def test_health_proxies_the_service_readyz(stack):
    response = stack.get("/health/catalog/")
    assert response.status == 200, response.body
    body = response.json()
    assert body["data"]["service"] == "catalog"
    assert body["data"]["status"] == "ready"
    assert body["meta"]["request_id"] == response.request_id


def test_schema_and_admin_are_routed_to_the_service(stack):
    schema = stack.get("/api/schema/identity/?format=json")
    assert schema.status == 200
    assert "openapi" in schema.json()
    admin = stack.get("/admin/catalog/login/")
    assert admin.status == 200
    assert admin.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema"])
def test_one_merged_schema_documents_every_service(stack, path):
    response = stack.get(path)
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/vnd.oai.openapi+json"
    document = response.json()
    openapi_spec_validator.validate(document)
    assert document["info"]["title"] == "Platform API"
    for service in SERVICES:
        own = json.loads((ROOT / "contracts" / "openapi" / f"{service}.json").read_text())
        assert own["paths"].keys() <= document["paths"].keys(), service
    # What the running services document, through the gateway, is what the merged one says
    # (component names aside: the merge may prefix one that two services define differently).
    for service in ("identity", "catalog"):
        live = stack.get(f"/api/schema/{service}/?format=json").json()
        assert live["paths"].keys() <= document["paths"].keys(), service
        for path, item in live["paths"].items():
            assert {m: sorted(op["responses"]) for m, op in item.items()} == {
                m: sorted(op["responses"]) for m, op in document["paths"][path].items()
            }, path
    # identity's tokens and API keys everywhere; builds also takes its build tokens.
    assert document["components"]["securitySchemes"].keys() == {"bearerAuth", "apiKeyAuth", "buildTokenAuth"}


def test_media_is_routed_to_the_service_that_stored_it(stack):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    name = f"products/2026/01/{uuid.uuid4().hex}.png"
    stored = stack.media_roots["catalog"] / name
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(png)
    request_id = new_id()

    response = stack.get(f"/media/catalog/{name}", X_Request_ID=request_id)

    assert response.status == 200, response.body
    assert response.body == png
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.request_id == request_id
    log = stack.log_line(stack.access_log, request_id)
    assert log["upstream"] == "catalog" and log["upstream_addr"] == stack.upstreams["catalog"]


def test_missing_media_is_the_service_404_passed_through(stack):
    request_id = new_id()
    response = stack.get("/media/catalog/products/missing.png", X_Request_ID=request_id)
    body = assert_envelope(response, 404, "not_found")
    assert body["error"]["message"] != "No route matches this path."  # catalog's, not nginx's
    assert stack.log_line(stack.access_log, request_id)["upstream_addr"] == stack.upstreams["catalog"]


@pytest.mark.parametrize(
    "path",
    ["/nope", "/api/v1/unknown/", "/health/nope/", "/admin/", "/media/", "/media/nope/x.png", "/api/v1/auth"],
)
def test_unknown_route_is_a_404_envelope(stack, path):
    response = stack.get(path)
    assert_envelope(response, 404, "not_found")
    assert GENERATED_ID.match(response.request_id)


@pytest.mark.parametrize(
    "path",
    [
        "/internal/anything",
        "/api/v1/catalog/internal/x",
        "/api/v1/catalog/%69nternal/x",
        "/api/v1/users/internal",
    ],
)
def test_internal_paths_are_never_proxied(stack, path):
    request_id = new_id()
    assert_envelope(stack.get(path, X_Request_ID=request_id), 404, "not_found")
    assert stack.log_line(stack.access_log, request_id)["upstream_addr"] == ""


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/orders/", "orders"),
        ("/health/orders/", "orders"),
        ("/api/v1/analytics/x", "analytics"),
        ("/media/orders/x.zip", "orders"),
    ],
)
def test_stopped_upstream_is_a_502_envelope_with_the_request_id(stack, path, service):
    request_id = new_id()
    response = stack.get(path, X_Request_ID=request_id)
    body = assert_envelope(response, 502, "upstream_unavailable")
    assert response.request_id == request_id
    assert body["error"]["details"]["service"] == service


def test_stopped_upstream_without_client_id_gets_a_generated_one(stack):
    response = stack.get("/api/v1/cart/")
    assert_envelope(response, 502, "upstream_unavailable")
    assert GENERATED_ID.match(response.request_id)


def test_silent_upstream_is_a_504_envelope_after_the_read_timeout(stack):
    request_id = new_id()
    response = stack.get("/api/v1/messaging/threads/", X_Request_ID=request_id)
    body = assert_envelope(response, 504, "upstream_timeout")
    assert body["error"]["details"]["service"] == "messaging"
    assert stack.log_line(stack.access_log, request_id)["request_time"] < stack.read_timeout + 1


def test_oversized_body_is_a_413_envelope(stack):
    body = b"x" * 64 * 1024  # GATEWAY_MAX_BODY is 16k in this stack
    response = stack.request("POST", "/api/v1/catalog/products/", {"Content-Type": "application/json"}, body)
    assert_envelope(response, 413, "payload_too_large")


def test_builds_api_keeps_the_default_body_limit(stack):
    body = b"x" * 64 * 1024  # over GATEWAY_MAX_BODY (16k): uploads go through /flat-manager/ only
    response = stack.request("POST", "/api/v1/builds/builds/", {"Content-Type": "application/json"}, body)
    assert_envelope(response, 413, "payload_too_large")


def test_a_flat_manager_upload_while_builds_is_down_is_a_retryable_protocol_error(stack):
    body = b"x" * 64 * 1024  # under GATEWAY_MAX_BODY_BUILDS (1m): authorised first, builds is down here
    response = stack.request(
        "POST", "/flat-manager/api/v1/build/1/upload", {"Content-Type": "multipart/mixed; boundary=x"}, body
    )
    assert response.status == 500  # flat-manager clients retry on >= 500
    assert response.json() == {
        "status": 500,
        "error-type": "internal-error",
        "message": "The gateway failed to handle the request",
    }


def test_auth_burst_is_rate_limited_with_429_envelopes(stack):
    responses = [
        stack.request("POST", "/api/v1/auth/login/", {"Content-Type": "application/json"}, b"{}")
        for _ in range(10)
    ]
    limited = [r for r in responses if r.status == 429]
    assert limited, [r.status for r in responses]
    assert len(limited) < len(responses)  # the first ones (rate + burst) reach identity
    for response in limited:
        assert_envelope(response, 429, "rate_limited")
        assert response.headers["Retry-After"] == "1"


# Every /auth/ endpoint that takes a credential or sends mail shares the tight auth zone.
CREDENTIAL_ENDPOINTS = [
    "login",
    "register",
    "refresh",
    "password-reset",
    "password-reset/confirm",
    "verify-email",
    "verify-email/resend",
    "me/password",
]


@pytest.mark.parametrize("endpoint", CREDENTIAL_ENDPOINTS)
def test_credential_endpoints_are_in_the_auth_zone(stack, endpoint):
    # The auth zone (1r/s, burst 2 here) refuses a quick series; the general one (1000r/s) never.
    statuses = []
    for _ in range(10):
        response = stack.request(
            "POST", f"/api/v1/auth/{endpoint}/", {"Content-Type": "application/json"}, b"{}"
        )
        statuses.append(response.status)
        if response.status == 429:
            assert_envelope(response, 429, "rate_limited")
            break
    assert statuses[-1] == 429, statuses


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/me/", "/api/v1/auth/login-history/", "/api/v1/auth/logout-all/"]
)
def test_authenticated_auth_reads_use_the_general_zone_only(stack, path):
    """A script reading its own profile is not throttled like a password guesser (5 r/s)."""
    statuses = {stack.get(path).status for _ in range(15)}
    assert statuses == {401}, statuses  # every one reached identity (no token: 401)


def test_client_request_id_reaches_the_service_and_both_logs(stack):
    request_id = new_id()
    response = stack.get("/api/v1/catalog/no-such-thing/", X_Request_ID=request_id)
    # The service's own 404 envelope passes through unchanged (proxy_intercept_errors off).
    assert_envelope(response, 404, "not_found")
    assert response.request_id == request_id
    assert response.headers.get_all("X-Request-ID") == [request_id]

    service_line = stack.log_line(stack.service_logs["catalog"], request_id)
    assert service_line["path"] == "/api/v1/catalog/no-such-thing/"
    assert service_line["status"] == 404

    gateway_line = stack.log_line(stack.access_log, request_id)
    assert gateway_line["status"] == 404
    assert gateway_line["upstream"] == "catalog"
    assert gateway_line["upstream_addr"] == stack.upstreams["catalog"]
    assert float(gateway_line["upstream_response_time"]) >= 0


def test_unsafe_client_request_id_is_replaced(stack):
    response = stack.get("/nope", X_Request_ID='bad"id with spaces')
    assert GENERATED_ID.match(response.request_id)
    assert response.json()["meta"]["request_id"] == response.request_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health/catalog/"),
        ("GET", "/api/v1/catalog/x/"),
        ("GET", "/nope"),
        ("GET", "/api/v1/orders/"),
        ("GET", "/api/docs"),
        ("GET", "/healthz"),
        ("OPTIONS", "/api/v1/catalog/products/"),
    ],
)
def test_every_response_carries_a_request_id(stack, method, path):
    response = stack.request(
        method, path, {"Origin": stack.allowed_origin, "Access-Control-Request-Method": "GET"}
    )
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", response.request_id)


def test_cors_preflight_from_an_allowed_origin(stack):
    response = stack.request(
        "OPTIONS",
        "/api/v1/catalog/products/",
        {
            "Origin": stack.allowed_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == stack.allowed_origin
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Max-Age"]
    assert "Origin" in response.headers.get_all("Vary")


def test_cors_preflight_from_another_origin_gets_no_cors_headers(stack):
    response = stack.request(
        "OPTIONS",
        "/api/v1/catalog/products/",
        {"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status == 204
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_cors_headers_on_a_proxied_response(stack):
    response = stack.get("/health/catalog/", Origin=stack.allowed_origin)
    assert response.headers["Access-Control-Allow-Origin"] == stack.allowed_origin
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Methods" not in response.headers  # only on preflights
    other = stack.get("/health/catalog/", Origin="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/"])
def test_docs_page_lists_every_schema_and_serves_its_assets_locally(stack, path):
    response = stack.get(path)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.body.decode()

    urls = json.loads(
        re.search(r'<script type="application/json" id="schema-urls">(.*?)</script>', html).group(1)
    )
    services = ["identity", "catalog", "orders", "builds", "messaging", "analytics"]
    assert [u["name"] for u in urls] == ["platform (every service)", *services]
    assert [u["url"] for u in urls] == [
        "/api/schema/",
        *(f"/api/schema/{name}/?format=json" for name in services),
    ]

    # No inline script (the CSP allows scripts from 'self' only) and no CDN.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
        "/api/docs/swagger-initializer.js",
    } <= set(assets)
    for asset in assets:
        assert asset.startswith("/api/docs/"), asset
        loaded = stack.get(asset)
        assert loaded.status == 200, asset
        assert loaded.body
    assert "SwaggerUIBundle" in stack.get("/api/docs/swagger-initializer.js").body.decode()


def test_missing_docs_asset_is_a_404_envelope(stack):
    assert_envelope(stack.get("/api/docs/nope.js"), 404, "not_found")


@pytest.mark.parametrize("path", ["/health/catalog/", "/admin/catalog/login/", "/nope", "/api/docs"])
def test_security_headers(stack, path):
    headers = stack.get(path).headers
    # Exactly one of each: the gateway's value replaces the service's copy.
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert headers.get_all("X-Frame-Options") == ["DENY"]
    assert headers.get_all("Referrer-Policy") == ["same-origin"]
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "Server" not in headers or "/" not in headers["Server"]  # no version


def test_json_is_gzipped_when_asked(stack):
    request_id = "x" * 128  # the id is echoed in the body: well above gzip_min_length
    # Polled: on a loaded machine a readiness probe can time out once (its 503 is tested elsewhere).
    response = wait_until(
        lambda: (
            (answer := stack.get("/health/catalog/", Accept_Encoding="gzip", X_Request_ID=request_id)).status
            == 200
            and answer
        ),
        timeout=30,
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.body))["meta"]["request_id"] == request_id

    plain = stack.get("/health/catalog/", X_Request_ID=request_id)
    assert "Content-Encoding" not in plain.headers
    assert plain.json()["meta"]["request_id"] == request_id


def test_product_image_uploads_get_the_larger_body_limit(stack):
    """Over GATEWAY_MAX_BODY but under GATEWAY_MAX_BODY_UPLOADS (default 10m): catalog answers, not nginx."""
    body = b"x" * 64 * 1024
    path = "/api/v1/catalog/products/00000000-0000-0000-0000-000000000000/images/"
    response = stack.request("POST", path, {"Content-Type": "application/octet-stream"}, body)
    assert response.status != 413
    assert json.loads(response.body)["error"]["code"] != "payload_too_large"


def test_message_media_uploads_get_messagings_media_limit(stack):
    """Up to MESSAGING_MEDIA_MAX_BYTES (16 MiB) and its form: messaging is asked (here it never
    answers), nginx does not refuse it; above, the gateway's 413 envelope."""
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    response = stack.request("POST", "/api/v1/messaging/messages/", headers, b"x" * 12 * 1024 * 1024)
    assert assert_envelope(response, 504, "upstream_timeout")["error"]["details"]["service"] == "messaging"
    refused = stack.request("POST", "/api/v1/messaging/messages/", headers, b"x" * 17 * 1024 * 1024)
    assert_envelope(refused, 413, "payload_too_large")


def test_the_account_link_pages_are_messagings_and_nothing_else_under_account(stack):
    routed = stack.get("/account/reset-password/?token=abc")
    assert assert_envelope(routed, 504, "upstream_timeout")["error"]["details"]["service"] == "messaging"
    assert_envelope(stack.get("/account/settings/"), 404, "not_found")
    assert_envelope(stack.get("/account/verify"), 404, "not_found")


@pytest.mark.parametrize("path", ["/analytics/", "/analytics/login/?next=/analytics/", "/analytics/data/"])
def test_the_analytics_dashboard_is_analytics(stack, path):
    """Its pages go to analytics (a socket nothing listens on here: 502 naming it); its static
    files go there by the /static/<service>/ route."""
    routed = stack.get(path)
    assert assert_envelope(routed, 502, "upstream_unavailable")["error"]["details"]["service"] == "analytics"
    assert_envelope(stack.get("/analytics"), 404, "not_found")


# --- errors nginx raises itself, before or instead of routing: envelopes, never its HTML ---


def assert_gateway_envelope(response, status: int, code: str) -> dict:
    """The gateway's own error: the envelope, and its headers exactly once (not the HTML page)."""
    body = assert_envelope(response, status, code)
    assert len(response.headers.get_all("X-Request-ID")) == 1
    assert response.headers.get_all("X-Frame-Options") == ["DENY"]
    return body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/docs"),
        ("POST", "/api/docs/"),
        ("POST", "/api/docs/swagger-ui.css"),
        ("PUT", "/api/docs/swagger-initializer.js"),
        ("DELETE", "/api/docs/index.html"),
        ("OPTIONS", "/api/docs"),  # not a CORS preflight (no Access-Control-Request-Method)
        ("POST", "/healthz"),
        ("DELETE", "/healthz"),
        ("POST", "/api/schema/"),
        ("PUT", "/api/schema"),
    ],
)
def test_gateway_pages_are_read_only_with_a_405_envelope(stack, method, path):
    request_id = new_id()
    response = stack.request(method, path, {"X-Request-ID": request_id}, b"{}")
    body = assert_gateway_envelope(response, 405, "method_not_allowed")
    assert body["error"]["details"]["method"] == method
    assert response.request_id == request_id
    assert response.headers.get_all("Allow") == ["GET, HEAD"]
    log = stack.log_line(stack.access_log, request_id)
    assert (log["method"], log["status"]) == (method, 405)


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/swagger-ui.css", "/healthz", "/api/schema/"])
def test_head_on_gateway_pages_is_allowed(stack, path):
    response = stack.request("HEAD", path)
    assert response.status == 200
    assert response.body == b""
    assert "Allow" not in response.headers


def test_trace_is_a_405_envelope_without_an_allow_of_the_gateway(stack):
    """nginx refuses TRACE on every path; which methods an API path takes is its service's business."""
    response = stack.request("TRACE", "/api/v1/catalog/products/")
    assert_gateway_envelope(response, 405, "method_not_allowed")
    assert "Allow" not in response.headers


def test_a_service_405_keeps_the_service_allow(stack):
    response = stack.request("POST", "/api/schema/catalog/", {"Content-Type": "application/json"}, b"{}")
    assert response.status == 405, response.body
    allow = response.headers.get_all("Allow")
    assert len(allow) == 1 and "GET" in allow[0] and allow[0] != "GET, HEAD"


def test_too_long_uri_is_a_414_envelope(stack):
    response = stack.get("/api/v1/catalog/products/?q=" + "a" * 16 * 1024)  # over 8k buffers
    assert_gateway_envelope(response, 414, "uri_too_long")
    assert GENERATED_ID.match(response.request_id)  # nginx stops before reading any header


def test_a_long_uri_the_gateway_takes_reaches_the_service(stack):
    # 6 KiB of request line: within nginx's 8k buffers, so gunicorn must take it too (its own
    # default limit, 4094, answered such a request with an HTML 414).
    response = stack.get("/api/v1/catalog/products/?search=" + "a" * 6 * 1024)
    assert response.status == 400, response.body  # catalog's own answer: a search is 200 characters at most
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body)["error"]["details"]["search"]


def test_oversized_header_is_a_431_envelope(stack):
    request_id = new_id()
    response = stack.request(
        "GET", "/api/v1/catalog/products/", {"X-Request-ID": request_id, "Cookie": "a=" + "b" * 16 * 1024}
    )
    assert_gateway_envelope(response, 431, "request_header_too_large")
    assert response.request_id == request_id  # read before the header that did not fit


def test_unsatisfiable_range_on_a_docs_asset_is_ignored(stack):
    """The gateway serves whole files: a Range never becomes nginx's 416 (its headers doubled)."""
    whole = stack.get("/api/docs/swagger-ui.css")
    for value in ("bytes=99999999-", "bytes=0-9"):
        request_id = new_id()
        response = stack.get("/api/docs/swagger-ui.css", Range=value, X_Request_ID=request_id)
        assert response.status == 200
        assert response.body == whole.body
        assert "Content-Range" not in response.headers
        assert response.headers.get_all("X-Request-ID") == [request_id]


@pytest.mark.parametrize(
    "header", [("If-Match", '"not-this-one"'), ("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:01 GMT")]
)
def test_failed_precondition_on_a_docs_asset_is_a_412_envelope(stack, header):
    response = stack.get("/api/docs/swagger-ui.css", **{header[0].replace("-", "_"): header[1]})
    assert_gateway_envelope(response, 412, "precondition_failed")


def test_unknown_transfer_encoding_is_a_501_envelope(stack):
    request_id = new_id()
    response = stack.raw(
        b"POST /api/v1/catalog/products/ HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
        b"X-Request-ID: " + request_id.encode() + b"\r\nTransfer-Encoding: gzip\r\n\r\n"
    )
    assert_gateway_envelope(response, 501, "not_implemented")
    assert response.request_id == request_id
    assert stack.log_line(stack.access_log, request_id)["upstream_addr"] == ""  # never proxied


@pytest.mark.parametrize(
    "request_line",
    [
        b"garbage",
        b"GET / HTTP/1.1 trailing",
        b"GET /\x01 HTTP/1.1",
        b"GET /%00 HTTP/1.1",
        b"GET /../../etc/passwd HTTP/1.1",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS ClientHello on the plain port
    ],
)
def test_malformed_request_line_is_a_400_envelope(stack, request_line):
    # Before the fix nginx could not redirect a request without a URI to the error page and
    # answered its HTML 500 instead.
    response = stack.raw(request_line + b"\r\nHost: gateway\r\nConnection: close\r\n\r\n")
    assert_gateway_envelope(response, 400, "bad_request")
    assert GENERATED_ID.match(response.request_id)


@pytest.mark.parametrize(
    "headers",
    [
        b"Host: a\r\nHost: b\r\n",  # two Hosts
        b"Host: a\r\nContent-Length: nope\r\n",
        b"Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",  # smuggling shape
        b"Host: a\r\nBad Header: x\r\n",
    ],
)
def test_malformed_headers_are_a_400_envelope(stack, headers):
    response = stack.raw(
        b"POST /api/v1/catalog/products/ HTTP/1.1\r\n" + headers + b"Connection: close\r\n\r\n"
    )
    assert_gateway_envelope(response, 400, "bad_request")


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v1/catalog/products/?search=\xff\xfe",  # raw bytes, not UTF-8
        "/api/v1/catalog/products/?search=caf\u00e9".encode(),  # an unencoded é (UTF-8)
        "/api/v1/catalog/caf\u00e9/".encode(),
        b"/api/v1/auth/me/?next=/\xe2\x82\xac",
        b"/\xc3\xa9",
    ],
)
def test_a_request_target_with_bytes_outside_printable_ascii_is_a_400_envelope(stack, target):
    # Proxied as they were, gunicorn refused them with its HTML 400 page.
    request_id = new_id()
    response = stack.raw(
        b"GET " + target + b" HTTP/1.1\r\nHost: gateway\r\nX-Request-ID: " + request_id.encode()
        + b"\r\nConnection: close\r\n\r\n"
    )  # fmt: skip
    body = assert_gateway_envelope(response, 400, "bad_request")
    assert "percent-encoded" in body["error"]["message"]
    assert list(body["error"]["details"]) == ["uri"]
    assert response.request_id == request_id
    log = stack.log_line(stack.access_log, request_id)
    assert log["upstream_addr"] == "" and log["method"] == "GET"  # never proxied


def test_a_percent_encoded_request_target_reaches_the_service(stack):
    request_id = new_id()
    response = stack.get("/api/v1/auth/me/?next=caf%C3%A9%20%2F", X_Request_ID=request_id)
    assert_envelope(response, 401, "not_authenticated")  # identity's answer
    assert stack.log_line(stack.access_log, request_id)["upstream_addr"] == stack.upstreams["identity"]


def test_a_query_string_that_is_not_utf8_is_the_services_400(stack):
    # nginx passes the bytes on as sent; the service (servicekit) refuses them by name.
    request_id = new_id()
    response = stack.get("/api/v1/auth/me/?next=caf%C3%A9%FF%FE", X_Request_ID=request_id)
    assert_envelope(response, 400, "validation_error")
    assert stack.log_line(stack.access_log, request_id)["upstream_addr"] == stack.upstreams["identity"]


def test_unsupported_http_version_is_a_505_envelope(stack):
    response = stack.raw(b"GET /api/v1/catalog/products/ HTTP/2.0\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert_gateway_envelope(response, 505, "http_version_not_supported")


def test_error_page_locations_are_not_reachable_from_outside(stack):
    for code in ("bad_request", "uri_too_long", "internal_error", "http_version_not_supported"):
        assert_gateway_envelope(stack.get(f"/_gateway/error/{code}"), 404, "not_found")


# --- the general limit_req zone, on a gateway of its own with a rate low enough to hit ---

ASSET = "/api/docs/swagger-initializer.js"  # served by nginx itself: no service needed


def exhaust(gateway) -> list:
    """Requests until the general rate refuses one; the responses, in order."""
    responses = []
    for _ in range(int(gateway.settings["GATEWAY_BURST_GENERAL"]) + 5):
        responses.append(gateway.get(ASSET, X_Request_ID=new_id()))
        if responses[-1].status == 429:
            break
    return responses


def test_general_rate_is_a_429_envelope_after_the_burst(limited_gateway):
    responses = exhaust(limited_gateway)
    statuses = [r.status for r in responses]
    assert statuses[-1] == 429, statuses
    passed = statuses[:-1]
    assert set(passed) <= {200}
    burst = int(limited_gateway.settings["GATEWAY_BURST_GENERAL"])
    assert len(passed) <= burst + 1  # the rate's one request and the burst, at most

    limited = responses[-1]
    assert_gateway_envelope(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "1"
    log = limited_gateway.log_line(limited_gateway.access_log, limited.request_id)
    assert log["status"] == 429 and log["upstream_addr"] == ""

    # Proxied routes share the zone: refused before nginx tries the (stopped) service.
    proxied = limited_gateway.get("/api/v1/catalog/products/")
    assert_gateway_envelope(proxied, 429, "rate_limited")


def test_liveness_is_never_rate_limited(limited_gateway):
    exhaust(limited_gateway)
    assert limited_gateway.get("/healthz").status == 200


def test_error_pages_are_not_rate_limited_into_html(limited_gateway):
    """Requests nginx rejects before routing, from a client over its rate: still their envelopes."""
    exhaust(limited_gateway)
    for _ in range(3):
        bad = limited_gateway.raw(b"garbage\r\n\r\n")
        assert_gateway_envelope(bad, 400, "bad_request")
        too_long = limited_gateway.get("/" + "a" * 16 * 1024)
        assert_gateway_envelope(too_long, 414, "uri_too_long")
