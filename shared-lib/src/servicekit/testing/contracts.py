"""Contract tests: a consumer's handlers read only fields its producers' schemas define.

Each service has one tiny test::

    from servicekit.testing.contracts import assert_handlers_match_producer_schemas

    def test_handlers_read_only_what_producers_publish():
        assert_handlers_match_producer_schemas("catalog.handlers")
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from servicekit.events.registry import Subscription, load_registry
from servicekit.events.schemas import UnknownEventType, load_schema


def contract_problems(subscriptions: list[Subscription], contracts_dir: Path | None = None) -> list[str]:
    problems = []
    for subscription in subscriptions:
        if subscription.takes_every_event:
            continue  # subscribe_all: keeps events whole, reads no field a schema could promise
        where = f"{subscription.name} ({subscription.type} v{subscription.version})"
        try:
            schema = load_schema(subscription.type, subscription.version, contracts_dir)
        except UnknownEventType as exc:
            problems.append(f"{where}: no producer schema: {exc}")
            continue
        if not subscription.reads:
            problems.append(f"{where}: declares no fields; list what it reads in reads=[...]")
        for read in subscription.reads:
            problem = check_path(schema, read)
            if problem:
                problems.append(f"{where}: {read!r} {problem}")
    return problems


def assert_handlers_match_producer_schemas(
    handlers: str | Iterable[Subscription], contracts_dir: Path | None = None
) -> None:
    """``handlers``: the registry module (``"catalog.handlers"``) or the subscriptions themselves."""
    subscriptions = load_registry(handlers).subscriptions if isinstance(handlers, str) else tuple(handlers)
    problems = contract_problems(list(subscriptions), contracts_dir)
    assert not problems, "handlers read fields their producers do not guarantee:\n  " + "\n  ".join(problems)


def check_path(schema: dict[str, Any], read: str) -> str | None:
    """None if ``read`` (``a.b``, ``items[].x``, trailing ``?`` = may be absent) is in ``schema``."""
    optional_ok = read.endswith("?")
    node = schema
    always_present = True
    for segment in read.rstrip("?").split("."):
        is_array = segment.endswith("[]")
        name = segment.removesuffix("[]")
        properties, required = _properties(schema, node)
        if name not in properties:
            return f"is not in the producer's schema (no property {name!r})"
        always_present = always_present and name in required
        node = _resolve(schema, properties[name])
        if is_array:
            if "array" not in _types(node):
                return f"treats {name!r} as an array, the schema does not"
            node = _resolve(schema, node.get("items", {}))
    if not always_present and not optional_ok:
        return "may be absent (not required along its path): mark it optional with a trailing '?'"
    return None


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _properties(root: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    properties = dict(node.get("properties", {}))
    required = set(node.get("required", []))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(keyword, []):
            branch_properties, branch_required = _properties(root, _resolve(root, branch))
            properties.update({k: v for k, v in branch_properties.items() if k not in properties})
            if keyword == "allOf":
                required |= branch_required
    return properties, required


def _types(node: dict[str, Any]) -> set[str]:
    declared = node.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)
