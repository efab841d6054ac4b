"""servicekit.api: one URL, one API class per operation, each with its own rules (and schema)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.generators import SchemaGenerator

from servicekit.api import operations
from tests.testapp.models import Switch
from tests.testapp.views import SwitchListApi

pytestmark = pytest.mark.django_db

SWITCHES = "/api/v1/test/switches/"


def test_anyone_reads_but_an_anonymous_create_is_refused_and_creates_nothing(api_client):
    Switch.objects.create(name="lamp")

    read = api_client.get(SWITCHES)
    create = api_client.post(SWITCHES, {"name": "fan"}, format="json")

    assert read.status_code == 200
    assert read.json()["data"] == [{"name": "lamp", "is_on": False}]
    assert create.status_code == 401
    assert create.json()["error"]["code"] == "not_authenticated"
    assert list(Switch.objects.values_list("name", flat=True)) == ["lamp"]


def test_a_customer_cannot_create(client_for):
    response = client_for(roles=["customer"]).post(SWITCHES, {"name": "fan"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Switch.objects.exists()


def test_staff_creates(staff_client):
    response = staff_client.post(SWITCHES, {"name": "fan"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["data"] == {"name": "fan", "is_on": False}
    assert list(Switch.objects.values_list("name", flat=True)) == ["fan"]


def test_each_operation_authenticates_with_its_own_classes(api_client):
    """The list runs no authentication, so a bad token does not matter there; it does for create."""
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert api_client.get(SWITCHES).status_code == 200
    response = api_client.post(SWITCHES, {"name": "fan"}, format="json")
    assert response.status_code == 401
    assert not Switch.objects.exists()


def test_each_operation_validates_with_its_own_serializer(staff_client):
    response = staff_client.post(SWITCHES, {"name": "fan", "is_on": True}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"is_on": ["This field cannot be set here."]}
    assert not Switch.objects.exists()


def test_another_method_is_a_405_envelope_naming_the_urls_methods(staff_client):
    response = staff_client.put(SWITCHES, {"name": "fan"}, format="json")

    assert response.status_code == 405
    assert response.json()["error"] == {
        "code": "method_not_allowed",
        "message": 'Method "PUT" not allowed.',
        "details": {},
    }
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert not Switch.objects.exists()


def test_every_response_names_the_urls_methods_and_head_is_the_get(api_client):
    assert api_client.get(SWITCHES)["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert api_client.post(SWITCHES, {}, format="json")["Allow"] == "GET, POST, HEAD, OPTIONS"
    head = api_client.head(SWITCHES)
    assert head.status_code == 200
    assert head.content == b""


def test_the_schema_documents_each_operation_from_its_own_class():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    url = schema["paths"][SWITCHES]
    assert set(url) == {"get", "post"}
    read, create = url["get"], url["post"]
    assert read["description"] == "Anyone may read the switches, with or without credentials."
    assert create["description"] == "Staff add switches."
    # The list reads no credentials (no scheme applies to it); create needs them.
    assert read["security"] == []
    assert {} not in create["security"]
    assert {"bearerAuth": []} in create["security"]
    assert "requestBody" not in read
    assert "requestBody" in create
    # Each operation's error responses come from its own rules: only create can refuse.
    assert set(read["responses"]) == {"200", "429", "503"}  # 503: the database or broker unreachable
    assert {status for status in create["responses"] if status < "400"} == {"201"}
    assert {"400", "401", "403"} <= set(create["responses"])


def test_operations_refuses_a_class_without_the_method():
    with pytest.raises(ImproperlyConfigured, match="post"):
        operations(get=SwitchListApi, post=SwitchListApi)
    with pytest.raises(ImproperlyConfigured, match="head"):
        operations(head=SwitchListApi)
    with pytest.raises(ImproperlyConfigured):
        operations()


@pytest.mark.parametrize("value", [0, 1, 0.0, "true", "false", "yes", "off", "1", [], {}])
def test_a_json_boolean_is_true_or_false_and_nothing_that_looks_like_one(value):
    from rest_framework import serializers as drf

    from servicekit.api import JSONBooleanField

    class Body(drf.Serializer):
        flag = JSONBooleanField()

    body = Body(data={"flag": value})
    assert not body.is_valid()
    assert body.errors == {"flag": ["Must be true or false."]}
    for good in (True, False):
        accepted = Body(data={"flag": good})
        assert accepted.is_valid() and accepted.validated_data == {"flag": good}
