#!/usr/bin/env python3
"""Run every test suite in its own pytest process and print one combined summary.

Each service has its own Django settings module, so each runs alone; then the
gateway tests and the cross-service tests (e2e through a real nginx, contracts,
database isolation). Exit status is non-zero if any suite fails.

    python scripts/run_tests.py [suite …]     (suites: servicekit, <service>, gateway, e2e)
"""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = str(ROOT / ".venv" / "bin" / "pytest")
REPORTS = ROOT / "var" / "test-reports"
SERVICES = ["identity", "catalog", "orders", "builds", "messaging", "analytics"]

SUITES: dict[str, tuple[Path, list[str]]] = {
    "servicekit": (ROOT / "shared-lib", []),
    **{name: (ROOT / "services" / name, []) for name in SERVICES},
    "gateway": (ROOT, ["gateway/tests"]),
    "e2e": (ROOT, ["tests"]),
}


def counts(report: Path) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not report.exists():
        return totals
    root = ET.parse(report).getroot()
    for suite in root.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    return totals


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    unknown = [name for name in chosen if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}")
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    summary = []
    for name in chosen:
        cwd, args = SUITES[name]
        report = REPORTS / f"{name}.xml"
        report.unlink(missing_ok=True)
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([PYTEST, f"--junitxml={report}", *args], cwd=cwd)
        summary.append((name, code, counts(report), time.monotonic() - started))

    print("\n=== summary ===")
    passed = failed = skipped = 0
    for name, code, c, seconds in summary:
        bad = c["failures"] + c["errors"]
        ok = c["tests"] - bad - c["skipped"]
        # pytest exits 5 when a suite collected nothing; that is a failure of the suite here.
        if code != 0 and bad == 0:
            bad = 1
        passed, failed, skipped = passed + ok, failed + bad, skipped + c["skipped"]
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(
            f"{name:<12} {ok:>5} passed {bad:>4} failed {c['skipped']:>4} skipped  {seconds:6.1f}s  {status}"
        )
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all(code == 0 for _, code, _, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
