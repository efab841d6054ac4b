"""The contract-test helper: handler ``reads`` against the producer's schema."""

from pathlib import Path

import pytest

from servicekit.events import BUILTIN_HANDLERS, Registry, subscribe
from servicekit.testing.contracts import assert_handlers_match_producer_schemas, check_path, contract_problems

SCHEMA = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "note": {"type": ["string", "null"]},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"product_id": {"type": "string"}, "discount": {"type": "string"}},
                "required": ["product_id"],
            },
        },
        "shipping": {"$ref": "#/$defs/address"},
    },
    "required": ["order_id", "lines", "shipping"],
    "$defs": {
        "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    },
}


@pytest.mark.parametrize(
    ("read", "problem"),
    [
        ("order_id", None),
        ("lines[].product_id", None),
        ("shipping.city", None),
        ("note?", None),
        ("lines[].discount?", None),
        ("note", "may be absent"),
        ("lines[].discount", "may be absent"),
        ("customer_id", "no property 'customer_id'"),
        ("lines[].sku", "no property 'sku'"),
        ("order_id[].x", "treats 'order_id' as an array"),
    ],
)
def test_check_path(read, problem):
    result = check_path(SCHEMA, read)
    assert (result is None) if problem is None else (problem in result)


def test_problems_name_the_handler_and_the_field(settings):
    def on_thing(event):
        pass

    subscriptions = [
        subscribe("testsvc.thing.happened", on_thing, reads=["n", "fail?", "colour"]),
        subscribe("testsvc.thing.never_declared", on_thing, reads=["x"]),
    ]
    problems = contract_problems(Registry(subscriptions).subscriptions)
    assert len(problems) == 2
    assert "on_thing (testsvc.thing.happened v1): 'colour' is not in the producer's schema" in problems[0]
    assert "testsvc.thing.never_declared v1): no producer schema" in problems[1]


def test_the_builtin_handlers_read_only_what_identity_publishes():
    from servicekit.settings import _find_contracts_dir

    repository_contracts = _find_contracts_dir(Path(__file__).resolve())
    assert repository_contracts is not None
    assert_handlers_match_producer_schemas(BUILTIN_HANDLERS, repository_contracts)
