"""servicekit.idempotency: the Idempotency-Key header, read one way by every retry-safe POST."""

from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from servicekit.envelope.errors import ApplicationError
from servicekit.envelope.exceptions import envelope_exception_handler
from servicekit.idempotency import IDEMPOTENCY_HEADER, INVALID_KEY_MESSAGE, idempotency_key

MALFORMED = ["   ", "k" * 256, "clé".encode().decode("latin-1"), "tab\there", "two words", "ключ", "nul\x00"]
MALFORMED_IDS = ["blank", "too-long", "non-ascii", "control", "space", "cyrillic", "nul"]


def _request(key: str | None = None) -> Request:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return Request(APIRequestFactory().post("/anything/", **headers))


def _refusal(exc: ApplicationError) -> tuple[int, dict]:
    response = envelope_exception_handler(exc, {})
    assert response is not None
    return response.status_code, response.data


@pytest.mark.parametrize(
    "key",
    ["k", "6f1c2a4e-0b8d-4e0a-9a53-3f1d2b7c9e10", "!~" * 50, "k" * 255],
    ids=["one", "uuid", "punct", "255"],
)
@pytest.mark.parametrize("required", [False, True])
def test_a_well_formed_key_is_returned(key, required):
    assert idempotency_key(_request(key), required=required) == key


def test_the_header_is_read_from_a_plain_django_request_too():
    assert idempotency_key(APIRequestFactory().post("/", HTTP_IDEMPOTENCY_KEY="abc")) == "abc"


def test_surrounding_whitespace_is_not_part_of_the_key():
    assert idempotency_key(_request("  abc\t"), required=True) == "abc"


@pytest.mark.parametrize("key", [None, ""], ids=["absent", "empty"])
def test_an_optional_key_not_sent_is_empty(key):
    assert idempotency_key(_request(key)) == ""


@pytest.mark.parametrize("key", MALFORMED, ids=MALFORMED_IDS)
@pytest.mark.parametrize("required", [False, True])
def test_a_malformed_key_is_a_validation_error_naming_the_field(key, required):
    with pytest.raises(ApplicationError) as raised:
        idempotency_key(_request(key), required=required)

    assert _refusal(raised.value) == (
        400,
        {
            "error": {
                "code": "validation_error",
                "message": INVALID_KEY_MESSAGE,
                "details": {"idempotency_key": [INVALID_KEY_MESSAGE]},
            }
        },
    )
    assert IDEMPOTENCY_HEADER in INVALID_KEY_MESSAGE


@pytest.mark.parametrize("key", [None, ""], ids=["absent", "empty"])
def test_a_required_key_not_sent_is_refused(key):
    with pytest.raises(ApplicationError) as raised:
        idempotency_key(_request(key), required=True)

    assert raised.value.code == "validation_error"
    assert raised.value.details == {"idempotency_key": [INVALID_KEY_MESSAGE]}


@pytest.mark.parametrize("key", [None, "", "two words"], ids=["absent", "empty", "malformed"])
def test_the_caller_chooses_its_own_refusal(key):
    def required() -> ApplicationError:
        return ApplicationError(
            "Send an Idempotency-Key.",
            code="idempotency_key_required",
            details={IDEMPOTENCY_HEADER: ["Required."]},
        )

    with pytest.raises(ApplicationError) as raised:
        idempotency_key(_request(key), required=True, error=required)

    assert _refusal(raised.value) == (
        400,
        {
            "error": {
                "code": "idempotency_key_required",
                "message": "Send an Idempotency-Key.",
                "details": {"Idempotency-Key": ["Required."]},
            }
        },
    )


def test_each_refusal_is_a_new_exception():
    errors = []
    for _ in range(2):
        with pytest.raises(ApplicationError) as raised:
            idempotency_key(_request("bad key"))
        errors.append(raised.value)

    assert errors[0] is not errors[1]


def test_a_body_fingerprint_ignores_key_order_and_spacing_but_not_values():
    from servicekit.idempotency import body_fingerprint

    assert body_fingerprint({"a": 1, "b": {"c": 2, "d": 3}}) == body_fingerprint(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )
    assert body_fingerprint({"a": 1}) != body_fingerprint({"a": 2})
    assert body_fingerprint({"a": "\ud800"}) != body_fingerprint({"a": "\ud801"})  # lone surrogates count
