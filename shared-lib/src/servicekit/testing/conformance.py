"""Tests every service must pass, written once: subclass in the service's test suite.

from servicekit.testing.conformance import PlatformConformance

class TestPlatform(PlatformConformance):
    pass
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from servicekit.auth.authentication import ApiKeyAuthentication
from servicekit.auth.scopes import SCOPE_ATTRIBUTE, SCOPES
from servicekit.openapi import is_json
from servicekit.testing.openapi import committed_document_path, generate_document

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Routes that belong to a domain app (the platform's own, health, metrics, schema and admin, don't).
APP_ROUTE_PREFIXES = ("api/v1/", "internal/", ".well-known/")
ROUTE_NAME = re.compile(r"^(internal-)?(?P<app>[a-z0-9_]+)-[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.mark.django_db
class PlatformConformance:
    def test_healthz_answers_alive_in_the_envelope(self, client, settings):
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["data"] == {"status": "alive", "service": settings.SERVICE_NAME}
        assert body["meta"]["request_id"] == response["X-Request-ID"]

    def test_readyz_checks_database_broker_and_cache(self, client):
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        checks = response.json()["data"]["checks"]
        assert {name: c["status"] for name, c in checks.items()} == {
            "database": "up",
            "broker": "up",
            "cache": "up",
        }

    def test_readyz_names_what_is_down(self, client, settings):
        settings.SERVICEKIT = {**settings.SERVICEKIT, "BROKER_URL": "amqp://guest:guest@127.0.0.1:1/"}
        response = client.get("/readyz")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "not_ready"
        assert error["details"]["down"] == ["broker"]

    def test_unknown_route_is_a_404_envelope(self, client):
        response = client.get("/api/v1/no-such-route/", HTTP_X_REQUEST_ID="conformance-404")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {
            "error": {
                "code": "not_found",
                "message": "The requested resource was not found.",
                "details": {},
            },
            "meta": {"request_id": "conformance-404"},
        }

    def test_request_id_is_generated_when_absent_and_refused_when_unsafe(self, client):
        generated = client.get("/healthz")["X-Request-ID"]
        assert len(generated) == 32
        unsafe = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
        assert unsafe != "bad id\nwith newline" and len(unsafe) == 32

    def test_openapi_schema_is_published(self, client, settings):
        response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        assert schema["info"]["title"] == f"{settings.SERVICE_NAME} API"

    def test_openapi_document_is_valid_and_generates_without_warnings(self, tmp_path):
        # drf-spectacular's warnings are guesses it had to make: each is a place the document lies.
        call_command(
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--format=openapi-json",
            f"--file={tmp_path / 'openapi.json'}",
        )

    def test_openapi_operations_document_envelopes_error_codes_and_security(self):
        document = generate_document()
        schemes = set(document.get("components", {}).get("securitySchemes", {}))
        for where, operation in _operations(document):
            assert "429" in operation["responses"], where  # the gateway limits every route
            assert "security" in operation, where  # [] when nobody is authenticated
            assert all(set(requirement) <= schemes for requirement in operation["security"]), where
            for status, response in operation["responses"].items():
                for name, media_type in response.get("content", {}).items():
                    if status < "400" and not is_json(name):
                        continue  # a file (an image, a CSV), sent as it is
                    schema = media_type["schema"]
                    if status < "400":
                        assert schema["required"] == ["data", "meta"], (where, status)
                        continue
                    assert schema["allOf"] == [{"$ref": "#/components/schemas/ErrorResponse"}], (
                        where,
                        status,
                    )
                    assert schema["properties"]["error"]["properties"]["code"]["enum"], (where, status)

    def test_committed_openapi_document_is_current(self, settings):
        """contracts/openapi/<service>.json is what the gateway merges into /api/schema/."""
        committed = committed_document_path(settings.SERVICE_NAME)
        assert committed.is_file(), f"{committed} is missing: run `make openapi`"
        current = generate_document()
        stale = json.loads(committed.read_text())
        paths = {*current["paths"], *stale["paths"]}
        changed = sorted(p for p in paths if current["paths"].get(p) != stale["paths"].get(p))
        assert stale == current, (
            f"{committed} is out of date (paths changed: {changed or 'none'}): run `make openapi`"
        )

    def test_metrics_are_exposed_for_prometheus(self, client):
        client.get("/healthz")
        response = client.get("/metrics")
        assert response.status_code == 200
        assert b"http_requests_total" in response.content

    def test_admin_login_is_served_under_the_service_prefix(self, client, settings):
        response = client.get(f"/admin/{settings.SERVICE_NAME}/login/")
        assert response.status_code == 200
        assert b"csrfmiddlewaretoken" in response.content

    def test_admin_names_its_service_and_signs_staff_in_by_email(self, client, settings):
        response = client.get(f"/admin/{settings.SERVICE_NAME}/login/")
        assert response.status_code == 200
        html = response.content.decode()
        assert f"<title>Log in | {settings.SERVICE_NAME} administration</title>" in html
        assert f'<a href="/admin/{settings.SERVICE_NAME}/">{settings.SERVICE_NAME} administration</a>' in html
        assert response.context["form"]["username"].label == "Email"
        assert ">Email:</label>" in html and "Username" not in html

    def test_admin_index_names_its_service_and_views_the_gateway_docs(self, admin_client, settings):
        response = admin_client.get(f"/admin/{settings.SERVICE_NAME}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert f"<h1>{settings.SERVICE_NAME} administration</h1>" in html
        assert '<a href="/api/docs">View site</a>' in html

    def test_app_routes_follow_the_url_conventions(self, settings):
        """Named ``[internal-]<app>-<resource>-list|detail|<action>`` after the app whose views
        serve them (docs/development.md), and no view is defined inside a urls.py."""
        problems = []
        for route, pattern in _routes(get_resolver()):
            if not route.startswith(APP_ROUTE_PREFIXES):
                continue
            modules = {view.__module__ for view in _views_of(pattern.callback)}
            apps = {
                module.split(".")[1] for module in modules if module.startswith(f"{settings.SERVICE_NAME}.")
            }
            match = ROUTE_NAME.match(pattern.name or "")
            if any(module.endswith(".urls") for module in modules):
                problems.append(f"{route}: the view is defined in a urls.py")
            if match is None or apps != {match["app"]}:
                problems.append(f"{route}: named {pattern.name!r}, served by {sorted(modules)}")
            elif route.startswith("internal/") != bool(match.group(1)):
                problems.append(f"{route}: 'internal-' names exactly the /internal/ routes")
        assert not problems, "\n".join(problems)

    def test_api_routes_declare_an_api_key_scope(self):
        """Every API class that accepts API keys names the scope a key needs (``api_key_scope``,
        one of ``servicekit.auth.scopes.SCOPES``); without it every key is refused there."""
        problems = list(undeclared_scopes(_api_classes()))
        assert not problems, "\n".join(problems)

    def test_booleans_in_request_bodies_are_json_booleans(self):
        """Every ``InputSerializer`` (a JSON body) reads its booleans with
        ``servicekit.api.JSONBooleanField``: DRF's BooleanField takes ``0.0``, ``1`` or ``"yes"``
        as a boolean. Query filters (``FilterSerializer``) keep DRF's, which reads ``?x=true``."""
        problems = list(lenient_body_booleans(_api_classes()))
        assert not problems, "\n".join(problems)


def lenient_body_booleans(view_classes: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """``route: Class.field`` for each boolean of an API class's ``InputSerializer`` that is
    DRF's BooleanField rather than ``JSONBooleanField``."""
    from rest_framework import serializers

    from servicekit.api import JSONBooleanField

    for route, view_class in view_classes:
        body = getattr(view_class, "InputSerializer", None)
        if not (isinstance(body, type) and issubclass(body, serializers.Serializer)):
            continue
        for name, field in body().fields.items():
            if isinstance(field, serializers.BooleanField) and not isinstance(field, JSONBooleanField):
                yield f"{route}: {view_class.__qualname__}.InputSerializer.{name} is not a JSONBooleanField"


def _api_classes() -> list[tuple[str, Any]]:
    """``(route, view class)`` for every operation of the service's URLconf."""
    return [
        (route, view) for route, pattern in _routes(get_resolver()) for view in _views_of(pattern.callback)
    ]


def _routes(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        else:
            yield route, pattern


def _views_of(callback: Any) -> list[Any]:
    """The view classes (or function) behind a URL: each operation's for servicekit.api.operations()."""
    operations = getattr(callback, "initkwargs", {}).get("operations")
    if operations:
        return list(operations.values())
    return [getattr(callback, "cls", callback)]


def accepts_api_keys(view_class: Any) -> bool:
    return any(
        isinstance(cls, type) and issubclass(cls, ApiKeyAuthentication)
        for cls in getattr(view_class, "authentication_classes", ())
    )


def undeclared_scopes(view_classes: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """Problems with ``(route, API class)`` pairs: a class that accepts API keys must declare
    one scope of ``servicekit.auth.scopes.SCOPES``; one that accepts none must not declare any
    (it would mislead)."""
    for route, view_class in view_classes:
        scope = getattr(view_class, SCOPE_ATTRIBUTE, None)
        name = getattr(view_class, "__qualname__", repr(view_class))
        if accepts_api_keys(view_class):
            if scope is None:
                yield f"{route}: {name} accepts API keys but declares no {SCOPE_ATTRIBUTE}"
            elif scope not in SCOPES:
                yield f"{route}: {name} declares {SCOPE_ATTRIBUTE} {scope!r}, not a scope of servicekit.auth.scopes"
        elif scope is not None:
            yield f"{route}: {name} declares {SCOPE_ATTRIBUTE} {scope!r} but accepts no API key"


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation
