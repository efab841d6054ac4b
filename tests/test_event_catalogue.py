"""contracts/events/ is the single source of the event contract: every schema is valid and
well named, and docs/events.md lists exactly what the schemas say."""

from pathlib import Path

import pytest

from servicekit.events.catalogue import render, update_document
from servicekit.events.schemas import SCHEMA_FILE, iter_schemas

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts" / "events"
SERVICES = {"identity", "catalog", "orders", "builds", "messaging", "analytics"}


def test_docs_event_catalogue_matches_the_schemas():
    document = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert document == update_document(document, render(CONTRACTS)), (
        "docs/events.md is out of date: run python scripts/gen_events_doc.py"
    )


@pytest.mark.parametrize("path", sorted(CONTRACTS.glob("*.json")), ids=lambda path: path.name)
def test_every_schema_is_named_described_and_owned_by_its_context(path):
    match = SCHEMA_FILE.match(path.name)
    assert match, f"{path.name}: name it <context>.<entity>.<past_tense>.v<N>.json"
    [(type_, version, schema)] = [
        entry for entry in iter_schemas(CONTRACTS) if entry[0:2] == (match["type"], int(match["version"]))
    ]
    assert schema.get("title") == type_
    assert schema.get("description"), "say what happened"
    assert schema.get("x-producer") == type_.split(".")[0] in SERVICES, "the producer is the type's context"
    assert schema.get("type") == "object" and schema.get("properties")
