"""servicekit.openapi (the documents) and servicekit.testing.openapi (responses held to them)."""

from __future__ import annotations

from enum import StrEnum

import pytest
from django.http import StreamingHttpResponse
from openapi_spec_validator import validate
from rest_framework import serializers

from servicekit.openapi import AutoSchema, error_codes, merge_codes
from servicekit.testing.openapi import check_response, generate_document

TEST_API = "/api/v1/test"
TOKEN_CODES = ["token_invalid", "token_expired", "token_not_yet_valid", "unknown_key", "token_revoked"]


@pytest.fixture(scope="module")
def document():
    return generate_document()


def operation(document, path, method="get"):
    return document["paths"][f"{TEST_API}/{path}"][method]


def codes(op) -> dict[str, list[str]]:
    """Each error status of an operation with the codes its schema allows."""
    return {
        status: response["content"]["application/json"]["schema"]["properties"]["error"]["properties"][
            "code"
        ]["enum"]
        for status, response in op["responses"].items()
        if status >= "400"
    }


def body_schema(op, status="200"):
    return op["responses"][status]["content"]["application/json"]["schema"]


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_a_success_body_is_documented_as_the_envelope(document):
    assert body_schema(operation(document, "whoami/")) == {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": {"$ref": "#/components/schemas/WhoAmI"},
            "meta": {"$ref": "#/components/schemas/ResponseMeta"},
        },
    }
    assert document["components"]["schemas"]["ResponseMeta"]["required"] == ["request_id"]


def test_a_file_is_documented_as_itself_not_in_the_envelope(document):
    assert operation(document, "report/")["responses"]["200"]["content"] == {
        "text/csv": {"schema": {"type": "string"}}
    }


def test_a_list_is_documented_as_one_page_with_its_parameters(document):
    op = operation(document, "items/")
    schema = body_schema(op)
    assert schema["properties"]["data"] == {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    assert schema["properties"]["meta"] == {"$ref": "#/components/schemas/PageMeta"}
    pagination = document["components"]["schemas"]["Pagination"]
    assert pagination["required"] == ["page", "page_size", "count", "next", "previous"]
    assert {p["name"] for p in op["parameters"]} == {"page", "page_size"}
    # a page that is not a number; a page past the end
    assert codes(op) == {
        "400": ["validation_error"],
        "404": ["not_found"],
        "429": ["rate_limited"],
        "503": ["upstream_unavailable"],
    }


def test_a_public_operation_with_a_body_answers_body_errors_and_has_no_security(document):
    op = operation(document, "echo/", "post")
    assert codes(op) == {
        "400": ["validation_error", "parse_error"],
        "415": ["unsupported_media_type"],
        "429": ["rate_limited"],
        "503": ["upstream_unavailable"],
    }
    assert op["security"] == []
    assert set(op["responses"]) == {"201", "400", "415", "429", "503"}


def test_an_operation_documents_json_bodies_only_unless_it_takes_uploads(document):
    assert list(operation(document, "echo/", "post")["requestBody"]["content"]) == ["application/json"]
    upload = operation(document, "upload/", "post")
    assert list(upload["requestBody"]["content"]) == ["application/json", "multipart/form-data"]
    assert codes(upload)["415"] == ["unsupported_media_type"]


def test_an_authenticated_operation_names_both_schemes_and_their_codes(document):
    op = operation(document, "whoami/")
    # An API key needs the operation's scope (servicekit.auth.scopes): 403 without it.
    assert op["security"] == [{"bearerAuth": []}, {"apiKeyAuth": ["account:read"]}]
    assert codes(op) == {
        "401": [*TOKEN_CODES, "api_key_invalid", "not_authenticated"],
        "403": ["insufficient_scope"],
        "429": ["rate_limited"],
        "503": ["upstream_unavailable"],  # identity, the database or the broker unreachable
    }
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["apiKeyAuth"] == {
        **schemes["apiKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }


def test_a_permission_that_can_refuse_adds_permission_denied(document):
    assert codes(operation(document, "staff-only/"))["403"] == ["insufficient_scope", "permission_denied"]
    # IsAuthenticated refuses with 401 only: whoami's one 403 is an API key's missing scope.
    assert codes(operation(document, "whoami/"))["403"] == ["insufficient_scope"]


def test_an_object_named_in_the_url_can_be_not_found(document):
    assert codes(operation(document, "owned/{owner}/"))["404"] == [
        "not_found"
    ]  # IsOwnerOrStaff: 404, not 403


def test_declared_codes_join_the_derived_ones(document):
    op = operation(document, "conflict/", "post")
    assert codes(op) == {"409": ["conflict"], "429": ["rate_limited"], "503": ["upstream_unavailable"]}
    assert op["responses"]["409"]["description"] == "Conflict: `conflict`"
    assert op["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_every_operation_documents_the_503_of_an_unreachable_database_or_broker(document):
    """servicekit.envelope.views.server_error answers it for any view (with Retry-After)."""
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert operations
    for op in operations:
        response = op["responses"]["503"]
        assert (
            "upstream_unavailable"
            in response["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"][
                "enum"
            ]
        )
        assert response["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_an_error_response_is_the_error_envelope(document):
    schema = body_schema(operation(document, "conflict/", "post"), "409")
    assert schema["allOf"] == [{"$ref": "#/components/schemas/ErrorResponse"}]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "details"]


def test_error_codes_merge_in_order_each_code_once():
    class Code(StrEnum):
        TAKEN = "email_taken"

    @error_codes({409: [Code.TAKEN]}, {409: ["conflict", "email_taken"]})
    @error_codes({400: ["cart_empty"]})
    def handler(self, request): ...

    assert handler.servicekit_error_codes == {400: ("cart_empty",), 409: ("email_taken", "conflict")}
    assert merge_codes({"404": ["not_found"]}) == {404: ("not_found",)}


def test_a_nullable_field_of_any_type_admits_null():
    # drf-spectacular says oneOf [{}, null], which null matches twice: so no null would pass.
    schema = AutoSchema()._map_serializer_field(serializers.JSONField(allow_null=True), "response")
    assert "oneOf" not in schema


def test_a_file_is_documented_as_its_media_type_not_an_envelope(document):
    assert operation(document, "picture/")["responses"]["200"]["content"] == {"image/png": {}}


# -- responses held to the document (the plugin checks every test client response) ----------


def test_a_documented_answer_passes(client):
    assert client.get(f"{TEST_API}/drift/").json()["data"] == {"ok": True}


def test_a_documented_file_passes(client):
    assert client.get(f"{TEST_API}/picture/").content.startswith(b"\x89PNG")


def test_a_body_the_document_does_not_describe_fails_the_request(client):
    with pytest.raises(
        AssertionError, match=r"GET /api/v1/test/drift/\?answer=body answered 200.*at data/ok"
    ):
        client.get(f"{TEST_API}/drift/", {"answer": "body"})


def test_an_undeclared_code_fails_the_request(client):
    with pytest.raises(AssertionError, match=r"at error/code: 'surprise' is not one of \['conflict'\]"):
        client.get(f"{TEST_API}/drift/", {"answer": "code"})


def test_an_undocumented_status_fails_the_request(client):
    with pytest.raises(AssertionError, match="answered 410.*Unknown response http status: 410"):
        client.get(f"{TEST_API}/drift/", {"answer": "status"})


@pytest.mark.django_db
def test_routes_and_methods_outside_the_document_are_not_checked(client):
    assert client.get("/healthz").status_code == 200
    assert client.delete(f"{TEST_API}/echo/").status_code == 405
    assert client.get("/api/v1/no-such-route/").status_code == 404


def test_an_operation_is_described_by_its_own_class_not_an_inherited_docstring(document):
    assert operation(document, "owned/{owner}/")["description"].startswith("An object owned by the user")
    assert "description" not in operation(document, "whoami/")  # APIView's docstring is not WhoAmIApi's


def test_a_streamed_body_is_not_read(rf):
    def endless():
        raise AssertionError("the stream was read")
        yield b""

    response = StreamingHttpResponse(endless(), content_type="text/event-stream")
    response.wsgi_request = rf.get(f"{TEST_API}/drift/")
    check_response(response)  # does not consume the stream


def test_x_permission_says_who_may_call_each_operation(document):
    assert operation(document, "echo/", "post")["x-permission"] == {"requires": "nothing"}
    assert operation(document, "whoami/")["x-permission"] == {"requires": "authentication"}
    # IsOwnerOrStaff and HasScope look at the object and the token's scopes, not at roles.
    assert operation(document, "owned/{owner}/")["x-permission"] == {"requires": "authentication"}
    assert operation(document, "scoped/")["x-permission"] == {"requires": "authentication"}
    assert operation(document, "staff-only/")["x-permission"] == {
        "requires": "role",
        "roles": ["admin", "staff"],
    }
    assert operation(document, "staff-or-vendor/")["x-permission"] == {
        "requires": "role",
        "roles": ["staff", "vendor"],
    }


def test_allowed_roles_follow_drfs_and_and_or():
    from rest_framework.permissions import IsAuthenticated

    from servicekit.auth.permissions import HasRole, HasScope, IsStaff
    from servicekit.openapi import allowed_roles

    assert allowed_roles(IsStaff()) == {"staff", "admin"}
    assert allowed_roles(IsAuthenticated()) is None
    assert allowed_roles((HasRole("vendor") | IsStaff)()) == {"vendor", "staff", "admin"}
    assert allowed_roles((HasScope("orders:read") | IsStaff)()) is None  # a scope alone passes
    assert allowed_roles((HasRole("vendor", "staff") & IsStaff)()) == {"staff"}
    assert allowed_roles((IsAuthenticated & HasRole("vendor"))()) == {"vendor"}


def test_an_optional_query_parameter_may_be_sent_empty(document):
    # servicekit.params.present_params: an empty parameter is one left out (page: the first)
    parameters = operation(document, "items/")["parameters"]
    assert {p["name"]: p.get("allowEmptyValue") for p in parameters} == {"page": True, "page_size": True}
