#!/usr/bin/env python3
"""Run every test suite in its own pytest process and print one combined summary.

Each service has its own Django settings module, so each runs alone; then the
gateway tests and the cross-service tests (e2e through a real nginx, contracts,
database isolation). Suites are independent (each has its own test database, and the
e2e platforms their own database, vhost and ports), so they run side by side:
``TEST_JOBS`` of them at once (default: the number of CPUs). A suite's output is
printed whole when it ends, so the logs of parallel suites never interleave.
Exit status is non-zero if any suite fails.

    python scripts/run_tests.py [suite …]     (suites: servicekit, <service>, gateway, e2e, hardening, chaos)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = str(ROOT / ".venv" / "bin" / "pytest")
REPORTS = ROOT / "var" / "test-reports"
SERVICES = ["identity", "catalog", "orders", "builds", "messaging", "analytics"]

SUITES: dict[str, tuple[Path, list[str]]] = {
    "servicekit": (ROOT / "shared-lib", []),
    **{name: (ROOT / "services" / name, []) for name in SERVICES},
    "gateway": (ROOT, ["gateway/tests"]),
    "e2e": (ROOT, ["tests", "--ignore=tests/hardening"]),
    # Fuzzing and the authorization sweep (tests/hardening), on a platform of their own.
    "hardening": (ROOT, ["tests/hardening", "--ignore=tests/hardening/test_chaos.py"]),
    # Chaos under load, bounded (CHAOS_SECONDS=60, one fixed script of faults). `make chaos`
    # runs a long one.
    "chaos": (ROOT, ["-p", "no:cacheprovider", "tests/hardening/test_chaos.py"]),
}
# Started first, so the longest suites do not end up running alone at the end.
LONGEST_FIRST = ["e2e", "hardening", "servicekit", "gateway"]
# Run after the others, with the machine to themselves: the chaos test's whole platform under
# load beside e2e's, on 2 cores, starves both (readiness probes and JWKS fetches time out).
ALONE = ["chaos"]


@dataclass
class Outcome:
    name: str
    code: int
    counts: dict[str, int]
    seconds: float


def counts(report: Path) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not report.exists():
        return totals
    root = ET.parse(report).getroot()
    for suite in root.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    return totals


def run_suite(name: str) -> Outcome:
    cwd, args = SUITES[name]
    report = REPORTS / f"{name}.xml"
    log = REPORTS / f"{name}.log"
    report.unlink(missing_ok=True)
    started = time.monotonic()
    with log.open("wb") as out:
        code = subprocess.call(
            [PYTEST, f"--junitxml={report}", "--color=no", *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    seconds = time.monotonic() - started
    print(f"\n=== {name} ({seconds:.0f}s) ===", flush=True)
    sys.stdout.write(log.read_text(errors="replace"))
    sys.stdout.flush()
    return Outcome(name, code, counts(report), seconds)


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    unknown = [name for name in chosen if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}")
        return 2
    REPORTS.mkdir(parents=True, exist_ok=True)
    jobs = max(1, int(os.environ.get("TEST_JOBS") or os.cpu_count() or 1))
    ordered = sorted(
        chosen, key=lambda n: LONGEST_FIRST.index(n) if n in LONGEST_FIRST else len(LONGEST_FIRST)
    )
    together = [name for name in ordered if name not in ALONE]
    alone = [name for name in ordered if name in ALONE]
    print(
        f"running {len(ordered)} suite(s), {jobs} at a time: {', '.join(together)}"
        + (f"; then alone: {', '.join(alone)}" if alone else ""),
        flush=True,
    )
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_suite, name) for name in together]
        outcomes = {f.result().name: f.result() for f in as_completed(futures)}
    for name in alone:
        outcomes[name] = run_suite(name)

    print("\n=== summary ===")
    passed = failed = skipped = 0
    for name in chosen:
        o = outcomes[name]
        c = o.counts
        bad = c["failures"] + c["errors"]
        ok = c["tests"] - bad - c["skipped"]
        # pytest exits 5 when a suite collected nothing; that is a failure of the suite here.
        if o.code != 0 and bad == 0:
            bad = 1
        passed, failed, skipped = passed + ok, failed + bad, skipped + c["skipped"]
        status = "ok" if o.code == 0 else f"FAILED (exit {o.code})"
        print(
            f"{name:<12} {ok:>5} passed {bad:>4} failed {c['skipped']:>4} skipped  {o.seconds:6.1f}s  {status}"
        )
    print(f"wall time: {time.monotonic() - started:.0f}s")
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if all(o.code == 0 for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
