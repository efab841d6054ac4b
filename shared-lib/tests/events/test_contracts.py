"""The contract-test helper: handler ``reads`` against the producer's schema."""

import uuid
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
    from servicekit.settings import find_contracts_dir

    repository_contracts = find_contracts_dir(Path(__file__).resolve())
    assert repository_contracts is not None
    assert_handlers_match_producer_schemas(BUILTIN_HANDLERS, repository_contracts)


def test_docs_name_every_builtin_handler():
    docs = Path(__file__).resolve().parents[3] / "docs" / "events.md"
    text = docs.read_text(encoding="utf-8")
    start = text.index("`BUILTIN_HANDLERS` (every service registers them)")
    paragraph = text[start : text.index("\n\n", start)]
    undocumented = [s.type for s in BUILTIN_HANDLERS if f"`{s.type}`" not in paragraph]
    assert not undocumented, paragraph


def test_the_deactivation_handler_drops_the_users_cached_api_keys(deliver_event, settings):
    from django.core.cache import cache

    from servicekit.auth.api_keys import positive_cache_key, tombstone_cache_key
    from servicekit.settings import find_contracts_dir

    settings.SERVICEKIT = {
        **settings.SERVICEKIT,
        "CONTRACTS_DIR": str(find_contracts_dir(Path(__file__).resolve())),
    }
    prefixes = [f"skdeact{n}" for n in range(2)]
    for prefix in prefixes:
        cache.set(positive_cache_key(prefix), {"digest": "x"}, 60)
    outcome = deliver_event(
        "identity.user.deactivated",
        {"user_id": str(uuid.uuid4()), "email": "gone@example.com", "api_key_prefixes": prefixes},
    )
    assert outcome.handled == ["servicekit.forget_deactivated_user_credentials"]
    for prefix in prefixes:
        assert cache.get(positive_cache_key(prefix)) is None
        assert cache.get(tombstone_cache_key(prefix))
        cache.delete(tombstone_cache_key(prefix))
