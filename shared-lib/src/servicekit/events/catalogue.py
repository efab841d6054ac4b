"""The event catalogue in ``docs/events.md``, generated from ``contracts/events/`` so the two
cannot drift (``scripts/gen_events_doc.py`` writes it, ``--check`` and a test verify it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servicekit.events.schemas import is_sensitive, iter_schemas

BEGIN = "<!-- BEGIN GENERATED EVENT CATALOGUE: edit contracts/events/*.json, then run scripts/gen_events_doc.py -->"
END = "<!-- END GENERATED EVENT CATALOGUE -->"
SENSITIVE_NOTE = (
    " **Sensitive** (`x-sensitive`): the payload carries a secret, so the producer's outbox"
    " blanks it once the event is published."
)


def render(directory: Path, *, link_prefix: str = "../contracts/events/") -> str:
    schemas = iter_schemas(directory)
    lines = [
        "| Type | Version | Producer | What happened |",
        "|---|---|---|---|",
        *(
            f"| [`{type_}`](#{_anchor(type_, version)}) | {version} | {schema.get('x-producer', '?')} | "
            f"{_cell(schema.get('description', ''))} |"
            for type_, version, schema in schemas
        ),
    ]
    for type_, version, schema in schemas:
        lines += [
            "",
            f"### {type_} v{version}",
            "",
            _text(schema.get("description", "")),
            "",
            f"Producer: **{schema.get('x-producer', '?')}**. Schema: "
            f"[`{type_}.v{version}.json`]({link_prefix}{type_}.v{version}.json)."
            + (SENSITIVE_NOTE if is_sensitive(schema) else ""),
            "",
            "| Field | Type | Required | Notes |",
            "|---|---|---|---|",
            *(
                f"| `{path}` | {kind} | {'yes' if required else 'no'} | {_cell(notes)} |"
                for path, kind, required, notes in fields(schema)
            ),
        ]
    return "\n".join(lines)


def fields(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str, bool, str]]:
    """(path, type, required, notes) for every property, depth first (``lines[].product_id``)."""
    rows = []
    required = set(schema.get("required", []))
    for name, node in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        rows.append((path, _kind(node), name in required, _notes(node)))
        if "object" in _types(node):
            rows += fields(node, f"{path}.")
        items = node.get("items")
        if "array" in _types(node) and isinstance(items, dict) and "properties" in items:
            rows += fields(items, f"{path}[].")
    return rows


def update_document(document: str, catalogue: str) -> str:
    if BEGIN not in document or END not in document:
        raise ValueError(f"the document has no generated section ({BEGIN} … {END})")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{catalogue}\n{END}{tail}"


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _kind(node: dict[str, Any]) -> str:
    kinds = _types(node) or ["any"]
    text = " or ".join(kinds)
    if "format" in node:
        text += f" ({node['format']})"
    if "array" in kinds and isinstance(node.get("items"), dict) and node["items"].get("type"):
        text += f" of {' or '.join(_types(node['items']))}"
    return text


def _notes(node: dict[str, Any]) -> str:
    notes = [_text(node["description"])] if node.get("description") else []
    if "enum" in node:
        notes.append("one of " + ", ".join(f"`{value}`" for value in node["enum"]))
    if "pattern" in node:
        notes.append(f"pattern `{node['pattern']}`")
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minItems", "items ≥"),
        ("minLength", "length ≥"),
    ):
        if key in node:
            notes.append(f"{label} {node[key]}")
    return "; ".join(notes)


def _text(value: str) -> str:
    return " ".join(value.split())


def _cell(value: str) -> str:
    return _text(value).replace("|", "\\|")


def _anchor(type_: str, version: int) -> str:
    return f"{type_}-v{version}".replace(".", "").lower()  # GitHub's heading anchors
