"""API-key scopes: every API class names the scope a key needs, enforced for every key.

Keys come from a real HTTP introspection server (``identity`` fixture, conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

from servicekit.api import PublicApi
from servicekit.auth.scopes import EVERYONE, SCOPES, scopes_grantable
from servicekit.testing.conformance import PlatformConformance, _routes, _views_of, undeclared_scopes
from tests.testapp.models import Switch

BASE = "/api/v1/test"
pytestmark = pytest.mark.django_db


def with_key(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"ApiKey {key}"}


def code_of(response) -> str | None:
    return response.json().get("error", {}).get("code")


def test_a_key_with_the_declared_scope_gets_through(api_client, identity):
    key = identity.new_key(roles=["staff"], scopes=["catalog:write"])
    response = api_client.post(f"{BASE}/switches/", {"name": "lamp"}, format="json", **with_key(key))
    assert response.status_code == 201, response.content
    assert list(Switch.objects.values_list("name", flat=True)) == ["lamp"]


def test_a_key_without_the_declared_scope_is_refused_before_the_view_runs(api_client, identity):
    # A staff member's key made for reading: the role would allow the write, the key does not.
    key = identity.new_key(roles=["staff"], scopes=["catalog:read", "orders:write"])
    response = api_client.post(f"{BASE}/switches/", {"name": "lamp"}, format="json", **with_key(key))
    assert response.status_code == 403
    assert code_of(response) == "insufficient_scope"
    assert "catalog:write" in response.json()["error"]["message"]
    assert not Switch.objects.exists()


def test_a_scope_never_widens_the_owners_roles(api_client, identity):
    key = identity.new_key(roles=["customer"], scopes=["catalog:write"])
    response = api_client.post(f"{BASE}/switches/", {"name": "lamp"}, format="json", **with_key(key))
    assert response.status_code == 403
    assert code_of(response) == "permission_denied"  # IsStaff, after the scope passed
    assert not Switch.objects.exists()


def test_each_operation_of_a_url_needs_its_own_scope(api_client, identity):
    reader = identity.new_key(roles=["staff"], scopes=["catalog:read"])
    assert api_client.get(f"{BASE}/switches/count/", **with_key(reader)).status_code == 200
    refused = api_client.post(f"{BASE}/switches/count/", {"name": "x"}, format="json", **with_key(reader))
    assert refused.status_code == 403 and code_of(refused) == "insufficient_scope"
    assert not Switch.objects.exists()


def test_a_key_with_no_scopes_is_refused_everywhere(api_client, identity):
    key = identity.new_key(roles=["staff"], scopes=[])
    for path in ("whoami/", "switches/count/", "staff-or-vendor/"):
        response = api_client.get(f"{BASE}/{path}", **with_key(key))
        assert response.status_code == 403, path
        assert code_of(response) == "insufficient_scope"


def test_a_view_declaring_no_scope_refuses_every_key_but_not_tokens(api_client, identity, client_for):
    key = identity.new_key(roles=["admin"], scopes=sorted(SCOPES))
    response = api_client.get(f"{BASE}/undeclared-scope/", **with_key(key))
    assert response.status_code == 403
    assert code_of(response) == "insufficient_scope"
    assert client_for(roles=["customer"]).get(f"{BASE}/undeclared-scope/").status_code == 200


def test_sign_in_tokens_are_not_narrowed_by_scopes(client_for):
    response = client_for(roles=["staff"], scopes=[]).post(f"{BASE}/switches/", {"name": "x"}, format="json")
    assert response.status_code == 201


def test_a_bad_key_is_still_a_401_not_a_scope_refusal(api_client, identity):
    response = api_client.get(f"{BASE}/undeclared-scope/", **with_key(identity.new_key(active=False)))
    assert response.status_code == 401
    assert code_of(response) == "api_key_invalid"


# -- the conformance check every service inherits ---------------------------------------------


class ReadApi(APIView):
    api_key_scope = "catalog:read"


class ForgetfulApi(APIView):
    pass


class TypoApi(APIView):
    api_key_scope = "catalog:raed"


class MisleadingApi(PublicApi):
    api_key_scope = "catalog:read"


def test_the_conformance_check_names_each_route_that_gets_scopes_wrong():
    problems = list(
        undeclared_scopes(
            [("a/", ReadApi), ("b/", ForgetfulApi), ("c/", TypoApi), ("d/", MisleadingApi), ("e/", PublicApi)]
        )
    )
    assert problems == [
        "b/: ForgetfulApi accepts API keys but declares no api_key_scope",
        "c/: TypoApi declares api_key_scope 'catalog:raed', not a scope of servicekit.auth.scopes",
        "d/: MisleadingApi declares api_key_scope 'catalog:read' but accepts no API key",
    ]


def test_the_conformance_test_fails_on_a_route_without_a_scope():
    """servicekit's own test URLs hold one such route on purpose (the refusal test above)."""
    routes = [
        (route, view) for route, pattern in _routes(get_resolver()) for view in _views_of(pattern.callback)
    ]
    assert list(undeclared_scopes(routes)) == [
        "api/v1/test/undeclared-scope/: UndeclaredScopeApi accepts API keys but declares no api_key_scope"
    ]
    with pytest.raises(AssertionError, match="undeclared-scope"):
        PlatformConformance().test_api_routes_declare_an_api_key_scope()


# -- the OpenAPI document ---------------------------------------------------------------------


def test_each_operation_names_the_scope_a_key_needs_in_its_security_requirement():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert paths["/api/v1/test/switches/"]["post"]["security"] == [
        {"bearerAuth": []},
        {"apiKeyAuth": ["catalog:write"]},
    ]
    assert paths["/api/v1/test/switches/count/"]["get"]["security"] == [
        {"bearerAuth": []},
        {"apiKeyAuth": ["catalog:read"]},
    ]
    # No scope declared: keys are refused, so the operation does not offer the scheme.
    assert paths["/api/v1/test/undeclared-scope/"]["get"]["security"] == [{"bearerAuth": []}]


# -- the scope list --------------------------------------------------------------------------


def test_scopes_are_read_and_write_per_context():
    assert set(SCOPES) >= {
        "users:admin",
        "catalog:read",
        "catalog:write",
        "orders:read",
        "orders:write",
        "builds:read",
        "builds:write",
        "messaging:read",
        "messaging:send",
        "analytics:read",
    }
    assert all(name == name.lower() and name.count(":") == 1 for name in SCOPES)


def test_only_staff_may_grant_user_administration():
    assert "users:admin" not in scopes_grantable(["customer", "vendor"])
    assert "users:admin" in scopes_grantable(["staff"])
    assert "analytics:read" in scopes_grantable(["vendor"]) and "analytics:read" not in scopes_grantable(
        ["customer"]
    )
    assert scopes_grantable(["robot"]) == frozenset()


def test_docs_api_md_lists_every_scope_and_who_may_grant_it():
    docs = Path(__file__).resolve().parents[2] / "docs" / "api.md"
    text = docs.read_text(encoding="utf-8")
    section = text[text.index("## API keys and scopes") : text.index("## Registration")]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| `")]
    documented = {
        cells[1].strip().strip("`"): frozenset(
            EVERYONE if cells[3].strip() == "everyone" else cells[3].strip().split(", ")
        )
        for cells in rows
    }
    assert documented == {name: scope.grantable_by for name, scope in SCOPES.items()}


def test_the_openapi_document_takes_no_api_key_scope(api_client, identity):
    """Public: an API key sent with the request is not read there (a bearer token is)."""
    key = identity.new_key(scopes=["orders:read"])
    response = api_client.get("/api/schema/", HTTP_AUTHORIZATION=f"ApiKey {key}")
    assert response.status_code == 200
    assert identity.count == 0
