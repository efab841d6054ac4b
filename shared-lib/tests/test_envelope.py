"""Every DRF response and error, and Django's own 404/500, come out as the contract's envelope."""

import pytest

pytestmark = pytest.mark.django_db


def test_success_is_wrapped_in_data_with_request_id(client):
    response = client.post(
        "/api/v1/test/echo/",
        {"name": "ada", "count": 2},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-1",
    )
    assert response.status_code == 201
    assert response.json() == {"data": {"name": "ada", "count": 2}, "meta": {"request_id": "req-1"}}


def test_validation_error_names_each_field(client):
    response = client.post("/api/v1/test/echo/", {"name": "x" * 11}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"name", "count"}
    assert response.json()["meta"]["request_id"] == response["X-Request-ID"]


def test_malformed_json_is_a_parse_error(client):
    response = client.post("/api/v1/test/echo/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_application_error_keeps_its_code_status_and_details(client):
    response = client.post("/api/v1/test/conflict/")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "conflict",
        "message": "Already there.",
        "details": {"sku": ["taken"]},
    }


def test_method_not_allowed(client):
    response = client.delete("/api/v1/test/echo/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unsupported_media_type(client):
    response = client.post("/api/v1/test/echo/", "a=b", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_django_404_outside_drf_is_an_envelope(client):
    response = client.get("/nowhere", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["meta"] == {"request_id": "req-404"}


def test_unhandled_exception_is_a_500_envelope_without_internals():
    from django.test import Client

    response = Client(raise_request_exception=False).get("/api/v1/test/boom/")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal_error"
    assert "boom" not in response.content.decode()
    assert body["meta"]["request_id"] == response["X-Request-ID"]


def test_pagination_meta_and_capped_page_size(client, settings):
    response = client.get("/api/v1/test/items/?page=2&page_size=10")
    body = response.json()
    assert [item["n"] for item in body["data"]] == list(range(10, 20))
    pagination = body["meta"]["pagination"]
    assert pagination["page"] == 2 and pagination["page_size"] == 10 and pagination["count"] == 250
    assert "page=3" in pagination["next"] and pagination["previous"] is not None
    assert body["meta"]["request_id"]

    capped = client.get("/api/v1/test/items/?page_size=100000").json()
    assert len(capped["data"]) == settings.SERVICEKIT["MAX_PAGE_SIZE"] == 100


def test_page_out_of_range_is_a_404_envelope(client):
    response = client.get("/api/v1/test/items/?page=999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_path_without_its_trailing_slash_is_a_404_envelope(client, method):
    # With APPEND_SLASH a POST here was a 301 with an empty body (the client's body lost), a
    # GET a redirect no API client expects.
    response = getattr(client, method)(
        "/api/v1/test/echo", {"name": "ada", "count": 2}, content_type="application/json"
    )
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_path_without_its_trailing_slash_is_a_404_with_debug_on(client, settings, method):
    # With APPEND_SLASH and DEBUG on, the POST raised RuntimeError (a 500). Now it is the
    # 404 any unknown path gets with DEBUG on: Django's technical 404 page.
    settings.DEBUG = True
    response = getattr(client, method)(
        "/api/v1/test/echo", {"name": "ada", "count": 2}, content_type="application/json"
    )
    assert response.status_code == 404, response.content
    assert "Location" not in response


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * 100_000, "application/json"),  # RecursionError inside json: was a 500
        (b'{"name": ' + b"[" * 100_000, "application/json"),
        (b"{not json", "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b"{}", "application/json; charset=no-such-charset"),
    ],
)
def test_the_json_parser_turns_every_unreadable_body_into_a_parse_error(body, content_type):
    import io

    from rest_framework.exceptions import ParseError

    from servicekit.envelope.parsers import JSONParser

    with pytest.raises(ParseError) as caught:
        JSONParser().parse(io.BytesIO(body), content_type, {"encoding": _charset(content_type)})
    assert caught.value.status_code == 400 and caught.value.get_codes() == "parse_error"


def _charset(content_type: str) -> str:
    return content_type.split("charset=")[1] if "charset=" in content_type else "utf-8"


def test_a_body_nested_too_deeply_is_a_400_parse_error_envelope_through_a_view(rf):
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from servicekit.envelope.parsers import JSONParser

    class Echo(APIView):
        authentication_classes: list = []
        permission_classes = [AllowAny]
        parser_classes = [JSONParser]

        def post(self, request):
            return Response(request.data)

    request = rf.post("/", b"[" * 100_000, content_type="application/json")
    response = Echo.as_view()(request)
    response.render()
    assert response.status_code == 400
    assert response.data["error"]["code"] == "parse_error"
    assert "nested too deeply" in response.data["error"]["message"]
    ok = Echo.as_view()(rf.post("/", b'{"a": [1]}', content_type="application/json"))
    assert ok.status_code == 200 and ok.data == {"a": [1]}


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "2e3", " ", "١"])
def test_a_page_that_is_not_a_positive_integer_is_a_400_naming_page(client, page):
    response = client.get("/api/v1/test/items/", {"page": page})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == ["page"]


@pytest.mark.parametrize("page", ["3", "003", "last", ""])
def test_well_formed_pages_are_served(client, page):
    response = client.get("/api/v1/test/items/", {"page": page, "page_size": 100})
    assert response.status_code == 200, response.content
    assert response.json()["meta"]["pagination"]["page"] == (1 if page == "" else 3)


def test_a_huge_page_number_is_past_the_end(client):
    response = client.get("/api/v1/test/items/", {"page": "9" * 5000})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_service_parses_json_with_the_envelope_parser(client):
    """The settings hookup: a body nested too deeply for Python's parser, sent to a real
    route with the service's default parsers, is a 400 parse_error, not a 500."""
    response = client.post("/api/v1/test/echo/", b"[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_paginated_response_serializes_one_page_into_the_list_envelope(rf):
    from rest_framework import serializers
    from rest_framework.request import Request

    from servicekit.envelope.pagination import paginated_response

    class Row(serializers.Serializer):
        n = serializers.IntegerField()

    request = Request(rf.get("/items/", {"page": 2, "page_size": 2}))
    response = paginated_response(
        queryset=[{"n": n} for n in range(5)], serializer_class=Row, request=request, view=None
    )

    assert response.data["data"] == [{"n": 2}, {"n": 3}]
    pagination = response.data["meta"]["pagination"]
    assert (pagination["page"], pagination["page_size"], pagination["count"]) == (2, 2, 5)
    assert "page=3" in pagination["next"] and pagination["previous"]


def test_query_filters_treat_empty_parameters_as_absent(rf):
    from rest_framework import serializers
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    from servicekit.params import query_filters

    class Filters(serializers.Serializer):
        active = serializers.BooleanField(required=False)
        size = serializers.IntegerField(required=False)

    request = Request(rf.get("/items/?active=&size=%20&unknown=x"))
    assert query_filters(Filters, request) == {}  # an absent boolean stays absent, not False
    assert query_filters(Filters, Request(rf.get("/items/?size=3&active=true"))) == {
        "size": 3,
        "active": True,
    }
    with pytest.raises(ValidationError):
        query_filters(Filters, Request(rf.get("/items/?size=many")))
