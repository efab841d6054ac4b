"""Idle memory of `make run`: the sum of PSS per process type and in total.

Starts `make run`'s launcher (scripts/run.py, with its development defaults) on free ports
with its own database, like the e2e tests (tests/harness.py), waits until every service is
healthy and a few seconds more for start-up to settle, reads /proc/<pid>/smaps_rollup of every
process under the launcher, prints the figures and stops everything.

    .venv/bin/python bench/memory.py [--services identity catalog orders] [--settle 10]

PSS (proportional set size) shares each page among the processes mapping it, so the sum is
what the platform costs the machine. Linux only.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import SERVICES, Platform  # noqa: E402

TARGET_MIB = 1536


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
        ppid = int(text.rpartition(")")[2].split()[1])
        tree[ppid].append(int(stat.parent.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, pending = children_of(), [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(tree.get(current, []))
    return found


def pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def process_type(pid: int, parent_type: str | None) -> str:
    """A process's kind from its command line (a forked child takes its parent's kind)."""
    argv = [arg for arg in cmdline(pid) if arg]
    joined = " ".join(argv)
    if not argv:
        return "exited"
    if "scripts/run.py" in joined:
        return "launcher"
    if "nginx: master" in joined:
        return "nginx master"
    if "nginx: worker" in joined or "nginx: cache" in joined:
        return "nginx worker/cache"
    if "logfilter.py" in joined:
        return "gateway log filter"
    if "gunicorn" in joined:
        return "web (gunicorn master)" if parent_type != "web (gunicorn master)" else "web (gunicorn worker)"
    if "celery" in joined:
        if parent_type and parent_type.startswith("celery worker"):
            return "celery worker: embedded beat / pool child"
        return "celery worker (solo pool)" if "solo" in joined else "celery worker"
    for command, kind in (
        ("run_events", "events (consumer + relay)"),
        ("consume_events", "consumer"),
        ("relay_events", "relay"),
        ("ingest_request_logs", "analytics ingester"),
    ):
        if command in joined:
            return kind
    if parent_type and parent_type != "launcher":
        return parent_type
    return f"other: {argv[0].rsplit('/', 1)[-1]}"


def measure(root_pid: int) -> dict[str, tuple[int, int]]:
    """kind -> (processes, PSS KiB), over the launcher and everything under it."""
    tree = children_of()
    kinds: dict[int, str] = {}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pending: list[tuple[int, str | None]] = [(root_pid, None)]
    while pending:
        pid, parent_type = pending.pop()
        kind = kinds[pid] = process_type(pid, parent_type)
        totals[kind][0] += 1
        totals[kind][1] += pss_kib(pid)
        pending.extend((child, kind) for child in tree.get(pid, []))
    return {kind: (count, kib) for kind, (count, kib) in totals.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", nargs="*", default=list(SERVICES))
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait after health")
    args = parser.parse_args(argv)
    with Platform(services=args.services, runner="make-run") as platform:
        time.sleep(args.settle)  # start-up work (beat's first tick, connections) settles
        platform.assert_alive()
        figures = measure(platform.children["run"].pid)
    total_kib = sum(kib for _, kib in figures.values())
    processes = sum(count for count, _ in figures.values())
    print(f"make run, idle, services: {' '.join(args.services)}")
    print(f"{'process type':<44} {'count':>5} {'PSS MiB':>9}")
    for kind, (count, kib) in sorted(figures.items(), key=lambda item: -item[1][1]):
        print(f"{kind:<44} {count:>5} {kib / 1024:>9.1f}")
    verdict = "under" if total_kib / 1024 < TARGET_MIB else "OVER"
    print(f"{'total':<44} {processes:>5} {total_kib / 1024:>9.1f}  ({verdict} the {TARGET_MIB} MiB target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
