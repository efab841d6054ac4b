"""HasRole, HasScope, IsStaff and IsOwnerOrStaff through real views and real tokens."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from servicekit.auth import HasRole, HasScope, IsOwnerOrStaff, IsStaff, Principal

BASE = "/api/v1/test"


def code_of(response) -> str | None:
    return response.json().get("error", {}).get("code")


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        (["vendor"], 200),
        (["staff"], 200),
        (["customer", "vendor"], 200),
        (["customer"], 403),
        (["admin"], 403),  # admin passes HasRole only where it is listed
        ([], 403),
    ],
)
def test_has_role_needs_any_listed_role(client_for, roles, status):
    response = client_for(roles=roles).get(f"{BASE}/staff-or-vendor/")
    assert response.status_code == status, response.content
    if status == 403:
        assert code_of(response) == "permission_denied"


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (["orders:read", "orders:write"], 200),
        (["orders:read", "orders:write", "other"], 200),
        (["orders:read"], 403),
        (["orders:readwrite"], 403),
        ([], 403),
    ],
)
def test_has_scope_needs_every_listed_scope(client_for, scopes, status):
    assert client_for(scopes=scopes).get(f"{BASE}/scoped/").status_code == status


def test_staff_without_the_scopes_is_refused(client_for):
    assert client_for(roles=["staff"]).get(f"{BASE}/scoped/").status_code == 403


@pytest.mark.parametrize(("roles", "status"), [(["staff"], 200), (["admin"], 200), (["vendor"], 403)])
def test_is_staff(client_for, roles, status):
    assert client_for(roles=roles).get(f"{BASE}/staff-only/").status_code == status


def test_owner_sees_their_object(client_for):
    client = client_for()
    response = client.get(f"{BASE}/owned/{client.user_id}/")
    assert response.status_code == 200
    assert response.json()["data"]["customer_id"] == client.user_id


def test_someone_elses_object_is_not_found(client_for):
    other = client_for().user_id
    response = client_for().get(f"{BASE}/owned/{other}/")
    assert response.status_code == 404
    assert code_of(response) == "not_found"


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_sees_every_object(client_for, role):
    assert client_for(roles=[role]).get(f"{BASE}/owned/someone/").status_code == 200


@pytest.mark.parametrize("path", ["staff-or-vendor/", "scoped/", "staff-only/", "owned/x/"])
def test_anonymous_callers_get_401(api_client, path):
    response = api_client.get(f"{BASE}/{path}")
    assert response.status_code == 401
    assert code_of(response) == "not_authenticated"


# --- the classes on their own ---------------------------------------------------------------


def request_as(principal) -> SimpleNamespace:
    return SimpleNamespace(user=principal)


def test_factories_need_arguments_and_have_readable_names():
    with pytest.raises(ValueError):
        HasRole()
    with pytest.raises(ValueError):
        HasScope()
    assert HasRole("staff", "vendor").__name__ == "HasRole(staff, vendor)"


def test_permissions_compose_with_drf_operators():
    either = (HasRole("vendor") | HasScope("catalog:write"))()
    vendor = Principal("u", roles={"vendor"})
    writer = Principal("u", scopes={"catalog:write"})
    nobody = Principal("u")
    assert either.has_permission(request_as(vendor), None)
    assert either.has_permission(request_as(writer), None)
    assert not either.has_permission(request_as(nobody), None)


def test_non_principal_users_are_refused():
    for user in (None, SimpleNamespace(is_authenticated=True, roles={"staff"})):
        assert not HasRole("staff")().has_permission(request_as(user), None)
        assert not IsStaff().has_permission(request_as(user), None)
        assert not IsOwnerOrStaff().has_permission(request_as(user), None)


def test_owner_field_follows_dotted_paths_and_compares_as_strings():
    user_id = uuid.uuid4()
    view = SimpleNamespace(owner_field="order.customer_id")
    obj = SimpleNamespace(order=SimpleNamespace(customer_id=user_id))
    owner = Principal(str(user_id))
    assert IsOwnerOrStaff().has_object_permission(request_as(owner), view, obj)
    default_view = SimpleNamespace()  # default owner_field is owner_id
    assert IsOwnerOrStaff().has_object_permission(
        request_as(owner), default_view, SimpleNamespace(owner_id=user_id)
    )


@pytest.mark.parametrize(
    ("presented", "allowed"),
    [(None, False), ("", False), ("wrong", False), ("dev-insecure-internal", True)],
)
def test_has_internal_token(presented, allowed, settings):
    from rest_framework.test import APIRequestFactory

    from servicekit.auth.permissions import HasInternalToken

    settings.SERVICEKIT = {**settings.SERVICEKIT, "INTERNAL_API_TOKEN": "dev-insecure-internal"}
    headers = {} if presented is None else {"HTTP_X_INTERNAL_TOKEN": presented}
    request = APIRequestFactory().get("/internal/x/", **headers)
    assert HasInternalToken().has_permission(request, view=None) is allowed


def test_user_id_of_is_the_callers_uuid_and_refuses_credentials_of_no_user():
    import uuid
    from types import SimpleNamespace

    from rest_framework.exceptions import PermissionDenied

    from servicekit.auth import Principal, user_id_of

    user_id = uuid.uuid4()
    assert user_id_of(SimpleNamespace(user=Principal(id=str(user_id)))) == user_id
    for caller in (Principal(id="service:orders"), None):
        with pytest.raises(PermissionDenied):
            user_id_of(SimpleNamespace(user=caller))
