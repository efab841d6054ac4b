"""The gateway's part in production readiness (docs/security.md): CORS lets only the listed
origins in (no look-alike of one), a preflight never reaches a service, every answer carries
the security headers, and no secret in a URL reaches its access log."""

from __future__ import annotations

import uuid

import pytest
from conftest import ALLOWED_ORIGIN


def new_id() -> str:
    return f"sec-{uuid.uuid4().hex}"


def cors_headers(response) -> list[str]:
    return [name for name in response.headers if name.lower().startswith("access-control-")]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        f"{ALLOWED_ORIGIN}.evil.example.com",  # the allowed origin as a prefix
        f"https://evil{ALLOWED_ORIGIN.removeprefix('https://')}",  # … as a suffix
        ALLOWED_ORIGIN.replace("https://", "http://"),  # another scheme is another origin
        f"{ALLOWED_ORIGIN}:8443",  # … and so is another port
        "null",  # sandboxed frames and file:// pages
    ],
)
def test_a_preflight_from_a_disallowed_origin_is_answered_without_any_cors_header(stack, origin):
    request_id = new_id()
    response = stack.request(
        "OPTIONS",
        "/api/v1/auth/login/",
        {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
            "X-Request-ID": request_id,
        },
    )
    assert response.status == 204
    assert cors_headers(response) == []  # the browser refuses the real request
    assert "Origin" in response.headers.get_all("Vary")  # no cache hands another origin's answer
    log = stack.log_line(stack.access_log, request_id)
    assert log["upstream_addr"] == ""  # the gateway answered; no service saw it


def test_a_preflight_from_the_allowed_origin_lists_what_it_may_send(stack):
    request_id = new_id()
    response = stack.request(
        "OPTIONS",
        "/api/v1/auth/login/",
        {
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            "X-Request-ID": request_id,
        },
    )
    assert response.status == 204
    assert response.headers.get_all("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN]  # never "*"
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]
    # Tokens travel in the Authorization header, never cookies: credentials are not allowed.
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert stack.log_line(stack.access_log, request_id)["upstream_addr"] == ""


def test_a_simple_request_from_a_disallowed_origin_gets_no_cors_header(stack):
    response = stack.get("/api/v1/catalog/products/", Origin="https://evil.example.com")
    assert cors_headers(response) == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/catalog/products/", "/api/v1/auth/me/", "/api/v1/nope/", "/internal/api-keys/introspect/"],
)
def test_every_answer_carries_the_security_headers(stack, path):
    headers = stack.get(path).headers
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert headers.get_all("X-Frame-Options") == ["DENY"]
    assert headers.get_all("Referrer-Policy") == ["same-origin"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "object-src 'none'" in headers["Content-Security-Policy"]
    assert "/" not in headers.get("Server", "")  # no nginx version


@pytest.mark.parametrize(
    "query",
    [
        "token=c2VjcmV0LW9uZS10aW1lLXRva2Vu",
        "lang=en&token=c2VjcmV0LW9uZS10aW1lLXRva2Vu",
        "api_key=ik_0123456789abcdef.c2VjcmV0LW9uZS10aW1lLXRva2Vu",
        "password=c2VjcmV0LW9uZS10aW1lLXRva2Vu",
    ],
)
def test_a_secret_in_the_query_string_never_reaches_the_access_log(stack, query):
    request_id = new_id()
    stack.get(f"/api/v1/catalog/products/?{query}", X_Request_ID=request_id)
    log = stack.log_line(stack.access_log, request_id)
    assert "c2VjcmV0" not in stack.access_log.read_text(errors="replace")
    assert log["uri"] == "/api/v1/catalog/products/?[REDACTED]"
    assert log["message"].startswith("GET /api/v1/catalog/products/?[REDACTED] ")


def test_an_ordinary_query_string_is_logged_as_sent(stack):
    request_id = new_id()
    stack.get("/api/v1/catalog/products/?search=red&page=2", X_Request_ID=request_id)
    assert (
        stack.log_line(stack.access_log, request_id)["uri"] == "/api/v1/catalog/products/?search=red&page=2"
    )
