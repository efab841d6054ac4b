"""Every DRF response and error, and Django's own 404/500, come out as the contract's envelope."""

import json
import socket

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


# A form naming the fields the operation reads: refused for what it is, not for what it says.
FORMS = [
    ("application/x-www-form-urlencoded", b"name=ada&count=2"),
    (
        "multipart/form-data; boundary=b0",
        b'--b0\r\nContent-Disposition: form-data; name="name"\r\n\r\nada\r\n'
        b'--b0\r\nContent-Disposition: form-data; name="count"\r\n\r\n2\r\n--b0--\r\n',
    ),
]


@pytest.mark.parametrize(("content_type", "body"), FORMS, ids=["urlencoded", "multipart"])
def test_an_operation_reads_json_only_a_form_is_415(client, content_type, body):
    response = client.generic("POST", "/api/v1/test/echo/", body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert content_type.split(";")[0] in response.json()["error"]["message"]
    assert response.json()["meta"]["request_id"] == response["X-Request-ID"]

    answer = client.post("/api/v1/test/echo/", {"name": "ada", "count": 2}, content_type="application/json")
    assert answer.status_code == 201, answer.content


def test_an_upload_operation_opts_in_to_multipart_and_still_reads_json(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.txt", b"12345", content_type="text/plain")
    response = client.post("/api/v1/test/upload/", {"name": "ada", "file": upload})  # multipart
    assert response.status_code == 201, response.content
    assert response.json()["data"] == {"name": "ada", "size": 5}

    response = client.post("/api/v1/test/upload/", {"name": "ada"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["data"] == {"name": "ada", "size": None}

    # its JSON is servicekit's parser's: nesting too deep is a 400 parse_error, not a 500
    response = client.post("/api/v1/test/upload/", b"[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"

    # a url-encoded form cannot carry a file: not taken
    response = client.generic("POST", "/api/v1/test/upload/", b"name=ada", content_type=FORMS[0][0])
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


@pytest.mark.django_db(transaction=True)
def test_a_database_that_cannot_be_reached_is_a_503_envelope_not_a_500():
    """The database's address refuses connections (it restarts, its path is cut): a 503 the
    client may retry, in the envelope, naming the dependency."""
    from django.db import connection
    from django.test import Client

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once the socket is closed
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = port
    try:
        response = Client(raise_request_exception=False).get("/api/v1/test/switches/")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    body = response.json()
    assert body["error"] == {
        "code": "upstream_unavailable",
        "message": "The service cannot reach its database right now; try again shortly.",
        "details": {"dependency": "database"},
    }
    assert body["meta"]["request_id"] == response["X-Request-ID"]


def test_a_broker_that_cannot_be_reached_is_a_503_envelope_not_a_500():
    """A task sent at once (not after the commit) to a broker whose address refuses connections:
    the 503 the client may retry, naming the broker."""
    from django.test import RequestFactory
    from kombu.exceptions import OperationalError

    from servicekit.envelope.views import server_error
    from servicekit.testing.celery import broker_down
    from tests.celery_app import app
    from tests.testapp import tasks

    with broker_down(app), pytest.raises(OperationalError):
        try:
            tasks.add.delay(1, 2)
        except OperationalError:  # what Django's handler500 is called inside
            response = server_error(RequestFactory().get("/api/v1/test/switches/"))
            raise
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert json.loads(response.content)["error"] == {
        "code": "upstream_unavailable",
        "message": "The service cannot reach its broker right now; try again shortly.",
        "details": {"dependency": "broker"},
    }


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
    ],
)
def test_the_json_parser_turns_every_unreadable_body_into_a_parse_error(body, content_type):
    import io

    from rest_framework.exceptions import ParseError

    from servicekit.envelope.parsers import JSONParser

    with pytest.raises(ParseError) as caught:
        JSONParser().parse(io.BytesIO(body), content_type, {"encoding": "utf-8"})
    assert caught.value.status_code == 400 and caught.value.get_codes() == "parse_error"


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("application/json; charset=no-such-charset", "utf-8"),  # what Django hands DRF
        ("application/json; charset=bz2_codec", "bz2_codec"),  # not a text encoding: a zip bomb
        ("application/json", "no-such-charset"),
    ],
)
def test_the_json_parser_refuses_an_unknown_charset(content_type, encoding):
    import io

    from rest_framework.exceptions import ParseError

    from servicekit.envelope.parsers import JSONParser

    with pytest.raises(ParseError) as caught:
        JSONParser().parse(io.BytesIO(b"{}"), content_type, {"encoding": encoding})
    assert caught.value.get_codes() == "parse_error"
    assert "Unsupported charset" in str(caught.value.detail)


@pytest.mark.parametrize("charset", ["bogus", "utf-99", "bz2_codec"])
def test_a_body_in_an_unknown_charset_is_a_400_parse_error_through_a_route(client, charset):
    # Django ignores an unknown charset (request.encoding stays utf-8): the body was read as UTF-8.
    response = client.generic(  # generic(): the body as it is, whatever the charset says
        "POST", "/api/v1/test/echo/", b'{"name": "ada", "count": 2}', f"application/json; charset={charset}"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert f'Unsupported charset "{charset}"' in error["message"]


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "latin-1", '"utf-8"'])
def test_a_body_in_a_known_charset_is_read(client, charset):
    response = client.generic(
        "POST", "/api/v1/test/echo/", b'{"name": "ada", "count": 2}', f"application/json; charset={charset}"
    )
    assert response.status_code in (200, 201), response.content


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


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        *[("page", value) for value in ["abc", "0", "-1", "1.5", "2e3", " ", "١"]],
        *[("page_size", value) for value in ["abc", "0", "-1", "1.5", "2e3", " 1 2", "١٠", "10; drop"]],
    ],
)
def test_a_page_or_page_size_that_is_not_a_positive_integer_is_a_400_naming_it(client, parameter, value):
    # page_size=abc used to be ignored (the default size served) while page=abc was refused.
    response = client.get("/api/v1/test/items/", {parameter: value})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == [parameter]


@pytest.mark.parametrize(
    ("page_size", "served"), [("", 20), ("  ", 20), ("7", 7), ("007", 7), (" 7 ", 7), ("9" * 5000, 100)]
)
def test_well_formed_page_sizes_are_served_capped(client, page_size, served):
    response = client.get("/api/v1/test/items/", {"page_size": page_size})
    assert response.status_code == 200, response.content
    assert len(response.json()["data"]) == response.json()["meta"]["pagination"]["page_size"] == served


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
