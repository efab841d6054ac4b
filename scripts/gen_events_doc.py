#!/usr/bin/env python3
"""Regenerate the event catalogue in docs/events.md from contracts/events/*.json.

python scripts/gen_events_doc.py           rewrite the generated section
python scripts/gen_events_doc.py --check   exit 1 if it is out of date (CI, tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from servicekit.events.catalogue import render, update_document

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "events.md"
CONTRACTS = ROOT / "contracts" / "events"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/events.md is out of date")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    expected = update_document(current, render(CONTRACTS))
    if args.check:
        if current != expected:
            print("docs/events.md is out of date: run python scripts/gen_events_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != expected:
        DOC.write_text(expected, encoding="utf-8")
        print("docs/events.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
