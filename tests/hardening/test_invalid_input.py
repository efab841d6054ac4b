"""Hostile input, sent on purpose to every operation of the six OpenAPI documents: NUL bytes,
numbers too big for any column, nesting deeper than any parser's stack, bodies in a media type
the operation does not take, bytes that are not UTF-8. Each must be refused with a 4xx error
envelope that the operation's document lists (status and code), never answered with a 5xx.

schemathesis (test_fuzz.py) finds what its generators think of; these are the classics it may
not reach in a few examples.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.hardening.schema import Operation, operations, resolve
from tests.hardening.targets import body_of, headers_of, unreachable_reason, url_of
from tests.hardening.test_authz import caller_of
from tests.hardening.world import World

HUGE_INTEGER = 10**40  # past bigint (and any DRF field without a bound)
HUGE_FLOAT = "1e400"  # past a double: Python's json reads it as infinity
NESTING = 100_000


def caller(world: World, operation: Operation):
    """Who the authorization sweep's field check calls it as: the owner of the object the URL
    names where the owner may, the least privileged role allowed otherwise, or anonymous."""
    role = caller_of(operation)
    return world.signed_in(role) if role else None


def send(world: World, operation: Operation, *, url: str | None = None, **kwargs: Any) -> requests.Response:
    api = caller(world, operation)
    headers = {**(api.headers if api else {}), **headers_of(operation), **kwargs.pop("headers", {})}
    if url is None:
        url = operation.path if unreachable_reason(operation) else url_of(world, operation)
    return requests.request(
        operation.method.upper(), world.platform.url(url), headers=headers, timeout=60, **kwargs
    )


def documented_codes(operation: Operation, status: int) -> list[str]:
    response = operation.spec["responses"].get(str(status))
    assert response is not None, f"{operation.id}: answered {status}, which its document does not list"
    schema = response["content"]["application/json"]["schema"]
    return schema["properties"]["error"]["properties"]["code"]["enum"]


def assert_refused(operation: Operation, answer: requests.Response, *statuses: int) -> dict:
    what = f"{operation.id} -> {answer.status_code}: {answer.text[:500]}"
    assert answer.status_code in statuses, what
    assert answer.headers.get("Content-Type", "").startswith("application/json"), what
    error = answer.json()["error"]
    assert error["code"] in documented_codes(operation, answer.status_code), what
    return error


def field_paths(service: str, schema: dict, kinds: set[str]) -> list[str]:
    """The top-level fields of a body schema whose type is one of ``kinds``."""
    found = []
    for name, field in schema.get("properties", {}).items():
        field = resolve(service, field)
        if field.get("readOnly"):
            continue
        kind = field.get("type")
        kind_set = set(kind) if isinstance(kind, list) else {kind}
        if kind is None and "string" in kinds and "enum" not in field:
            kind_set = {"string"}  # an untyped field (JSON): a string is one of its values
        if kind_set & kinds:
            found.append(name)
    return found


# A URL naming nothing (a job or a check no generic test can make, a webhook's provider) is a
# 404 before the body is read: those are fuzzed, and their bodies tested in their services.
BODY_OPERATIONS = [op for op in operations() if op.json_body is not None and not unreachable_reason(op)]


def ids(operation: Operation) -> str:
    return operation.id


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=ids)
def test_a_nul_byte_in_any_text_field_is_a_validation_error(world, operation):
    schema = operation.json_body
    for name in field_paths(operation.service, schema, {"string"}):
        body = {**body_of(world, operation), name: "bad\x00value"}
        answer = send(world, operation, json=body)
        assert_refused(operation, answer, 400, 403, 404, 409)


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=ids)
def test_a_number_too_big_for_any_column_is_a_validation_error(world, operation):
    schema = operation.json_body
    for name in field_paths(operation.service, schema, {"integer", "number"}):
        for huge in (str(HUGE_INTEGER), HUGE_FLOAT, str(-HUGE_INTEGER)):
            body = json.dumps({**body_of(world, operation), name: "__HUGE__"}).replace('"__HUGE__"', huge)
            answer = send(world, operation, data=body, headers={"Content-Type": "application/json"})
            assert_refused(operation, answer, 400, 403, 404, 409)


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=ids)
def test_deep_nesting_is_a_validation_error(world, operation):
    for body in ("[" * NESTING + "]" * NESTING, '{"a":' * NESTING + "1" + "}" * NESTING):
        answer = send(world, operation, data=body, headers={"Content-Type": "application/json"})
        assert_refused(operation, answer, 400, 413)


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=ids)
def test_invalid_utf8_and_broken_json_are_parse_errors(world, operation):
    for raw in (b'{"name": "\xff\xfe\xfd"}', b"\xc3\x28", b'{"name": ', b"\x00\x00\x00"):
        answer = send(world, operation, data=raw, headers={"Content-Type": "application/json"})
        assert_refused(operation, answer, 400)


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=ids)
def test_a_media_type_the_operation_does_not_take_is_refused(world, operation):
    taken = set(operation.spec["requestBody"]["content"])
    for media_type, raw in (
        ("text/plain", b"hello"),
        ("application/xml", b"<a>1</a>"),
        ("application/x-www-form-urlencoded", b"a=1&b=2"),
    ):
        if media_type in taken:
            continue
        answer = send(world, operation, data=raw, headers={"Content-Type": media_type})
        # 415, or 400 from a view that reads forms too (an upload) and finds no field it knows
        assert_refused(operation, answer, 400, 415)


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=ids)
def test_a_body_that_is_not_an_object_is_a_validation_error(world, operation):
    for body in ("[1, 2]", '"text"', "42", "null", "true"):
        answer = send(world, operation, data=body, headers={"Content-Type": "application/json"})
        assert_refused(operation, answer, 400)


QUERY_OPERATIONS = [op for op in operations() if op.query_params]


@pytest.mark.parametrize("operation", QUERY_OPERATIONS, ids=ids)
def test_hostile_query_parameters_are_refused_or_harmless(world, operation):
    """NUL and invalid UTF-8 are refused (400, naming the parameter); a huge number is harmless:
    refused with a documented 4xx, or read as what it means (a page size: the cap)."""
    base = operation.path if unreachable_reason(operation) else url_of(world, operation)
    for parameter in operation.query_params:
        name = parameter["name"]
        for raw in ("%00", "bad%00value", "%FF%FE", "%C3%28"):
            answer = send(world, operation, url=f"{base}?{name}={raw}")
            assert_refused(operation, answer, 400, 404 if unreachable_reason(operation) else 400)
            assert answer.status_code == 404 or name in answer.json()["error"]["details"], (
                name,
                raw,
                answer.text,
            )
        for raw in (str(HUGE_INTEGER), HUGE_FLOAT, str(-HUGE_INTEGER)):
            answer = send(world, operation, url=f"{base}?{name}={raw}")
            # a huge page_size is the cap, a huge page past the end (docs/api.md): a 2xx or a
            # documented 4xx, never a 5xx
            assert answer.status_code < 500, (operation.id, name, raw, answer.text[:300])
            if answer.status_code >= 400:
                assert_refused(operation, answer, answer.status_code)


PATH_OPERATIONS = [op for op in operations() if op.path_params]


# Where any value of the parameter is accepted by design, with the reason.
ANY_PATH_VALUE = {
    "POST /api/v1/builds/tokens/{jti}/revoke/": (
        "a revocation denylists the id it is given, issued here or not (flat-manager's semantics)"
    ),
}


@pytest.mark.parametrize("operation", PATH_OPERATIONS, ids=ids)
def test_hostile_path_parameters_are_refused(world, operation):
    if operation.id in ANY_PATH_VALUE:
        pytest.skip(ANY_PATH_VALUE[operation.id])
    for raw in ("%00", "bad%00id", "%FF%FE", "9" * 400, "..%2F..%2Fetc"):
        url = operation.path
        for parameter in operation.path_params:
            url = url.replace("{" + parameter + "}", raw)
        answer = send(world, operation, url=url, json=body_of(world, operation))
        assert 400 <= answer.status_code < 500, (operation.id, raw, answer.status_code, answer.text[:300])
        assert answer.headers.get("Content-Type", "").startswith("application/json"), answer.text[:300]
        assert answer.json()["error"]["code"], answer.text
