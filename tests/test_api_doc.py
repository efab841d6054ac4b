"""docs/api.md lists every route the services serve: its route lists are generated from
contracts/openapi/*.json (which each service's conformance tests keep equal to the code)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
SERVICES = ("identity", "catalog", "orders", "builds", "messaging", "analytics")


def test_the_route_lists_are_generated_from_the_current_documents():
    result = subprocess.run(
        [sys.executable, "scripts/gen_api_routes.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_doc_lists_every_operation_of_every_service():
    text = DOC.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", text, re.MULTILINE))
    for service in SERVICES:
        document = json.loads((ROOT / "contracts" / "openapi" / f"{service}.json").read_text())
        for path, item in document["paths"].items():
            for method in item.keys() & {"get", "post", "put", "patch", "delete"}:
                assert (method.upper(), path) in listed, f"{service}: {method.upper()} {path}"


def test_the_checkout_body_is_documented_with_its_required_address():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Checkout", 1)[1].split("\n## ", 1)[0]
    schema = json.loads((ROOT / "contracts" / "openapi" / "orders.json").read_text())["components"]["schemas"]
    checkout = schema["OrderCheckoutInputRequest"]
    assert checkout["required"] == ["shipping_address"]
    assert "`shipping_address` is **required**" in section
    address = schema[checkout["properties"]["shipping_address"]["$ref"].rsplit("/", 1)[1]]
    for field in address["properties"]:
        assert f"`{field}`" in section, field
    for field in address["required"]:
        assert re.search(rf"in it [^.]*`{field}`[^.]* are required", section), field
