"""Event payload schemas: ``contracts/events/<type>.v<version>.json`` (JSON Schema 2020-12)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_FILE = re.compile(
    r"^(?P<type>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){2,})\.v(?P<version>[1-9][0-9]*)\.json$"
)


class UnknownEventType(LookupError):
    """No schema exists for this type and version: every published event needs one."""


class InvalidEventPayload(ValueError):
    """The data does not validate against the event's schema (a programming error)."""

    def __init__(self, type_: str, version: int, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(f"{type_} v{version} payload is invalid: " + "; ".join(errors))


def contracts_dir() -> Path:
    configured = settings.SERVICEKIT.get("CONTRACTS_DIR")
    if not configured:
        raise UnknownEventType("SERVICEKIT['CONTRACTS_DIR'] is not set and contracts/events was not found")
    return Path(configured)


def schema_path(type_: str, version: int, directory: Path | None = None) -> Path:
    return (directory or contracts_dir()) / f"{type_}.v{version}.json"


def load_schema(type_: str, version: int, directory: Path | None = None) -> dict[str, Any]:
    return _load(str(schema_path(type_, version, directory)))


@lru_cache(maxsize=512)
def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            schema = json.load(handle)
    except FileNotFoundError:
        raise UnknownEventType(f"no event schema at {path}") from None
    Draft202012Validator.check_schema(schema)
    return schema


@lru_cache(maxsize=512)
def _validator(path: str) -> Draft202012Validator:
    return Draft202012Validator(_load(path), format_checker=FormatChecker())


def validate_payload(type_: str, version: int, data: Any) -> None:
    validator = _validator(str(schema_path(type_, version)))
    errors = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    if errors:
        raise InvalidEventPayload(
            type_,
            version,
            [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors],
        )


def iter_schemas(directory: Path | None = None) -> list[tuple[str, int, dict[str, Any]]]:
    """Every schema in the contracts directory as (type, version, schema), sorted."""
    found = []
    for path in sorted((directory or contracts_dir()).glob("*.json")):
        match = SCHEMA_FILE.match(path.name)
        if match is None:
            raise UnknownEventType(f"{path.name} is not named <context>.<entity>.<past_tense>.v<N>.json")
        found.append((match["type"], int(match["version"]), _load(str(path))))
    return found


# A schema marked ``"x-sensitive": true`` (top level) describes events whose payload carries a
# secret (a one-time link or token): the outbox keeps their payload only until it is published.
SENSITIVE_KEYWORD = "x-sensitive"


def is_sensitive(schema: dict[str, Any]) -> bool:
    return schema.get(SENSITIVE_KEYWORD) is True


@lru_cache(maxsize=8)
def _sensitive_events(directory: str) -> frozenset[tuple[str, int]]:
    return frozenset(
        (type_, version) for type_, version, schema in iter_schemas(Path(directory)) if is_sensitive(schema)
    )


def sensitive_events(directory: Path | None = None) -> frozenset[tuple[str, int]]:
    """The (type, version) pairs whose schema is marked sensitive."""
    return _sensitive_events(str(directory or contracts_dir()))


def clear_cache() -> None:
    _load.cache_clear()
    _validator.cache_clear()
    _sensitive_events.cache_clear()
