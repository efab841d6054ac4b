"""The operations of the six OpenAPI documents (contracts/openapi), as the hardening suites read them.

Everything here is derived from the documents, so a route added to a service (and to its
document by ``make openapi``) is swept and fuzzed without a test of its own.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ROOT / "contracts" / "openapi"
METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch")
STAFF_ROLES = {"staff", "admin"}


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def permission(self) -> dict[str, Any]:
        return self.spec.get("x-permission", {"requires": "authentication"})

    def allows_role(self, role: str) -> bool:
        permission = self.permission
        return permission["requires"] != "role" or role in permission["roles"]

    @property
    def is_staff_only(self) -> bool:
        permission = self.permission
        return permission["requires"] == "role" and set(permission["roles"]) <= STAFF_ROLES

    @property
    def is_public(self) -> bool:
        return self.permission["requires"] == "nothing"

    @property
    def json_body(self) -> dict[str, Any] | None:
        """The request body's JSON schema (references resolved at the top), if it takes JSON."""
        content = self.spec.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        return resolve(self.service, content["application/json"].get("schema", {}))

    @property
    def takes_body(self) -> bool:
        return "requestBody" in self.spec

    @property
    def query_params(self) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]

    @property
    def success_media_types(self) -> set[str]:
        return {
            media
            for status, response in self.spec["responses"].items()
            if status.startswith("2")
            for media in response.get("content", {})
        }


@cache
def document(service: str) -> dict[str, Any]:
    return json.loads((DOCUMENTS / f"{service}.json").read_text())


@cache
def services() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in DOCUMENTS.glob("*.json")))


def resolve(service: str, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document(service)["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@cache
def operations() -> tuple[Operation, ...]:
    found = []
    for service in services():
        for path, item in document(service)["paths"].items():
            for method in METHODS:
                if method in item:
                    found.append(Operation(service, method, path, item[method]))
    return tuple(found)


def sample(service: str, schema: dict[str, Any], name: str = "") -> Any:
    """The simplest value a schema accepts: enough for a request that passes validation when the
    caller fills in what only the world knows (ids, unique names)."""
    schema = resolve(service, schema)
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            return sample(service, schema[combinator][0], name)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    fmt = schema.get("format")
    if kind == "object":
        return {
            key: sample(service, value, key)
            for key, value in schema.get("properties", {}).items()
            if key in schema.get("required", []) and not value.get("readOnly")
        }
    if kind == "array":
        item = sample(service, schema.get("items", {}), name)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "email":
        return f"sweep-{uuid.uuid4().hex[:8]}@example.com"
    if fmt == "decimal":
        return "1.00"
    if fmt == "date-time":
        return "2030-01-01T00:00:00Z"
    if fmt in ("uri", "url"):
        return "https://example.com/"
    length = max(schema.get("minLength", 1), 8)
    return (
        f"x{uuid.uuid4().hex}"[:length]
        if not schema.get("maxLength")
        else "x" * min(length, schema["maxLength"])
    )
