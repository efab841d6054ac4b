"""The platform answers through the gateway: health, docs, schemas, envelopes, request ids."""

import json

import pytest
import requests

from tests.harness import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_healthy_through_the_gateway(platform, service):
    response = requests.get(platform.url(f"/health/{service}/"), timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["status"] == "ready" and body["data"]["service"] == service
    assert body["meta"]["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_openapi_schema_is_served(platform, service):
    response = requests.get(platform.url(f"/api/schema/{service}/"), params={"format": "json"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["info"]["title"] == f"{service} API"


def test_the_platform_schema_documents_what_every_service_serves(platform):
    merged = requests.get(platform.url("/api/schema/"), timeout=10).json()
    for service in SERVICES:
        own = requests.get(
            platform.url(f"/api/schema/{service}/"), params={"format": "json"}, timeout=10
        ).json()
        assert operations(own).items() <= operations(merged).items(), service


def operations(document: dict) -> dict:
    """Each operation with the statuses it documents (the merge may rename components)."""
    return {
        (path, method): sorted(op["responses"])
        for path, item in document["paths"].items()
        for method, op in item.items()
    }


def test_docs_list_all_six_schemas(platform):
    html = requests.get(platform.url("/api/docs"), timeout=5).text
    for service in SERVICES:
        assert f"/api/schema/{service}/" in html


def test_unknown_and_internal_routes_are_404_envelopes(platform):
    for path in ("/no/such/route", "/internal/api-keys/introspect/", "/api/v1/catalog/internal/x"):
        response = requests.get(platform.url(path), timeout=5)
        assert response.status_code == 404, path
        body = response.json()
        assert body["error"]["code"] == "not_found"
        assert body["meta"]["request_id"] == response.headers["X-Request-ID"]


def test_request_id_reaches_the_service_log(platform):
    request_id = "e2e-smoke-trace-0001"
    response = requests.get(
        platform.url("/api/v1/catalog/no-such-thing/"), headers={"X-Request-ID": request_id}, timeout=5
    )
    assert response.headers["X-Request-ID"] == request_id
    lines = [json.loads(line) for line in platform.log("catalog-web").splitlines() if line.startswith("{")]
    assert any(line.get("request_id") == request_id and line.get("status") == 404 for line in lines)
