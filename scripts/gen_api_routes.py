#!/usr/bin/env python3
"""Regenerate the route lists in docs/api.md from contracts/openapi/<service>.json.

python scripts/gen_api_routes.py           rewrite the generated section
python scripts/gen_api_routes.py --check   exit 1 if it is out of date (CI, tests)

The OpenAPI documents are written by `make openapi` from the code and compared with it by each
service's conformance tests, so a route list made from them cannot drift from the code either
(tests/test_api_doc.py runs --check). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api.md"
OPENAPI_DIR = ROOT / "contracts" / "openapi"
SERVICES = ("identity", "catalog", "orders", "builds", "messaging", "analytics")
METHODS = ("get", "post", "put", "patch", "delete")
BEGIN = "<!-- BEGIN GENERATED: routes (scripts/gen_api_routes.py) -->"
END = "<!-- END GENERATED: routes -->"
_FIRST_SENTENCE = re.compile(r"^(.+?\.)(?:\s|$)", re.DOTALL)


def summary(operation: dict[str, Any]) -> str:
    """The operation's first sentence (its description's, else its summary; else its
    operationId), on one line."""
    text = (operation.get("description") or operation.get("summary") or "").strip()
    if not text:
        return f"`{operation['operationId']}`"
    paragraph = text.split("\n\n", 1)[0]
    match = _FIRST_SENTENCE.match(paragraph)
    sentence = " ".join((match.group(1) if match else paragraph).split())
    return sentence.replace("|", "\\|")


def credentials(operation: dict[str, Any]) -> tuple[str, str]:
    """(who may call it, the API-key scope it needs) from its security requirements."""
    security = operation.get("security")
    if security is None or security == []:
        return "anyone", ""
    schemes = {name for requirement in security for name in requirement}
    scopes = sorted({scope for requirement in security for scope in requirement.get("apiKeyAuth", [])})
    who = []
    if {} in security:
        who.append("anyone")
    if "bearerAuth" in schemes:
        who.append("token")
    if "apiKeyAuth" in schemes:
        who.append("API key")
    if "buildTokenAuth" in schemes:
        who.append("build token")
    return ", ".join(who), ", ".join(f"`{scope}`" for scope in scopes)


def render(directory: Path = OPENAPI_DIR) -> str:
    sections = []
    for service in SERVICES:
        document = json.loads((directory / f"{service}.json").read_text(encoding="utf-8"))
        rows = ["| method | path | credentials | API-key scope | what it does |", "|---|---|---|---|---|"]
        for path in sorted(document["paths"]):
            item = document["paths"][path]
            for method in METHODS:
                if method in item:
                    who, scope = credentials(item[method])
                    rows.append(
                        f"| {method.upper()} | `{path}` | {who} | {scope} | {summary(item[method])} |"
                    )
        count = len(rows) - 2
        sections.append(
            f"### {service}\n\n{count} operations, from `contracts/openapi/{service}.json` "
            f"(`/api/schema/{service}/` on the gateway).\n\n" + "\n".join(rows)
        )
    return "\n\n".join(sections)


def update_document(document: str, routes: str) -> str:
    if BEGIN not in document or END not in document:
        raise ValueError(f"the document has no generated section ({BEGIN} … {END})")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{routes}\n\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/api.md is out of date")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    expected = update_document(current, render())
    if args.check:
        if current != expected:
            print(
                "docs/api.md's route lists are out of date: run python scripts/gen_api_routes.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if current != expected:
        DOC.write_text(expected, encoding="utf-8")
        print("docs/api.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
