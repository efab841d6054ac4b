#!/usr/bin/env python3
"""The load test: realistic traffic (tests/load/locustfile.py) run headless for a fixed time.

Prepares what the traffic needs through the gateway (an admin's category and products with
ample stock, signed-in customers, a working loopback messaging session for each), runs locust
headless, then prints p50/p95/p99 per operation and the error rate.

    make load                                   # a platform of its own (tests/harness.py), 50 users, 60 s
    .venv/bin/python tests/load/run.py --host http://localhost:8080   # against `make run`
    .venv/bin/python tests/load/run.py --users 50 --run-time 120 --check

Against ``make run`` the admin is ``LOAD_ADMIN_EMAIL`` / ``LOAD_ADMIN_PASSWORD`` (default: the
one ``make seed`` creates), and the gateway's per-client rate limit (50 r/s) must be raised for
50 users from one address, or its 429s count as errors:
``GATEWAY_RATE_GENERAL=2000r/s GATEWAY_BURST_GENERAL=2000 GATEWAY_RATE_AUTH=200r/s make run``.

``--check`` exits 1 unless there was no error and every operation's p99 is within ``--p99-ms``
(the target on the development machine: 0 errors, p99 ≤ 500 ms at 50 users).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from servicekit.testing.polling import wait_until  # noqa: E402

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOCUST = ROOT / ".venv" / "bin" / "locust"
CUSTOMER_PASSWORD = "load-Customer-Pass-2026!"
COLOURS = ["red", "green", "blue", "amber", "violet", "black", "white", "silver"]
ADDRESS = {
    "name": "Load Customer",
    "line1": "1 Traffic Lane",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}
# One Postgres-backed answer the platform must give a client within this on the development machine.
P99_TARGET_MS = 500


@dataclass(frozen=True)
class Row:
    """One operation's figures, as locust's stats CSV gives them (times in ms)."""

    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


class Gateway:
    """requests to the platform's gateway that wait out its rate limit (a 429's Retry-After)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        for _ in range(60):
            response = self.session.request(
                method, self.base_url + path, headers=headers, timeout=30, **kwargs
            )
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        return response

    def expect(self, status: int, method: str, path: str, **kwargs) -> dict:
        response = self.call(method, path, **kwargs)
        if response.status_code != status:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()["data"] if response.content else {}

    def login(self, email: str, password: str) -> str:
        return self.expect(200, "POST", "/api/v1/auth/login/", json={"email": email, "password": password})[
            "access"
        ]


def new_customer(gateway: Gateway) -> str:
    """A registered, signed-in customer with a working messaging session; its access token."""
    email = f"load-{uuid.uuid4().hex[:12]}@example.com"
    gateway.expect(
        201, "POST", "/api/v1/auth/register/", json={"email": email, "password": CUSTOMER_PASSWORD}
    )
    return gateway.login(email, CUSTOMER_PASSWORD)


def open_messaging_session(gateway: Gateway, token: str) -> str:
    """Start a loopback session, show and scan its QR code and wait until it works (messaging's worker runs it)."""
    session = gateway.expect(201, "POST", "/api/v1/messaging/sessions/", token=token)["id"]
    path = f"/api/v1/messaging/sessions/{session}/"

    def status() -> str:
        return gateway.expect(200, "GET", path, token=token)["status"]

    wait_until(lambda: status() == "scan_qr_code", timeout=60, interval=0.3)
    gateway.expect(200, "GET", f"{path}qr/", token=token)  # the phone scans the code shown
    gateway.expect(202, "POST", f"{path}scan/", token=token)
    wait_until(lambda: status() == "working", timeout=60, interval=0.3)
    return session


def prepare(base_url: str, admin_token: str, *, customers: int, products: int) -> dict:
    """Everything the traffic needs, made through the gateway as real clients would make it."""
    gateway = Gateway(base_url)
    tag = uuid.uuid4().hex[:6]
    category = gateway.expect(
        201,
        "POST",
        "/api/v1/catalog/categories/",
        token=admin_token,
        json={"name": f"Load {tag}", "parent": None},
    )["id"]
    product_ids = []
    for number in range(products):
        colour = COLOURS[number % len(COLOURS)]
        product = gateway.expect(
            201,
            "POST",
            "/api/v1/catalog/products/",
            token=admin_token,
            json={
                "sku": f"LOAD-{tag}-{number}",
                "name": f"Load widget {colour} {number}",
                "price": f"{5 + number % 40}.{number % 100:02d}",
                "currency": "USD",
                "stock": 1_000_000,
                "category": category,
            },
        )
        product_ids.append(product["id"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: new_customer(gateway), range(customers + 1)))
        sessions = list(pool.map(lambda token: open_messaging_session(gateway, token), tokens[1:]))

    # orders learns of each product from catalog's event: wait until every one is known there.
    probe = tokens[0]

    def known(product_id: str) -> bool:
        response = gateway.call(
            "POST", "/api/v1/cart/items/", token=probe, json={"product_id": product_id, "quantity": 1}
        )
        return response.status_code in (200, 201)

    for product_id in product_ids:
        wait_until(lambda: known(product_id), timeout=60, interval=0.3)  # noqa: B023 (called at once)
    return {
        "products": product_ids,
        "search_terms": COLOURS,
        "address": ADDRESS,
        "customers": [
            {"access": token, "session": session} for token, session in zip(tokens[1:], sessions, strict=True)
        ],
    }


def run_locust(
    base_url: str,
    fixture: dict,
    *,
    users: int,
    spawn_rate: float,
    run_time: int,
    think: str = "1,3",
    every_operation_first: bool = False,
    confirm_timeout: float = 15,
) -> tuple[list[Row], Row, str]:
    """Run the scenario headless; the rows per operation, the total and locust's own output."""
    with tempfile.TemporaryDirectory(prefix="load-") as workdir:
        fixture_file = Path(workdir) / "fixture.json"
        fixture_file.write_text(json.dumps(fixture))
        prefix = Path(workdir) / "stats"
        result = subprocess.run(
            [
                LOCUST,
                "--locustfile", LOCUSTFILE,
                "--headless",
                "--host", base_url,
                "--users", str(users),
                "--spawn-rate", str(spawn_rate),
                "--run-time", f"{run_time}s",
                "--stop-timeout", "20",
                "--csv", prefix,
                "--only-summary",
                "--loglevel", "WARNING",
            ],
            env={
                **os.environ,
                "LOAD_FIXTURE": str(fixture_file),
                "LOAD_THINK_SECONDS": think,
                "LOAD_EVERY_OPERATION_FIRST": "1" if every_operation_first else "",
                "LOAD_CONFIRM_TIMEOUT_SECONDS": str(confirm_timeout),
            },
            capture_output=True,
            text=True,
            timeout=run_time + 120,
        )  # fmt: skip
        stats = Path(f"{prefix}_stats.csv")
        if not stats.exists():
            raise RuntimeError(f"locust wrote no statistics:\n{result.stdout}\n{result.stderr}")
        rows = [_row(line) for line in csv.DictReader(stats.open())]
        # A task that raised (a bug in the scenario or an answer it could not read) is an error too.
        exceptions_file = Path(f"{prefix}_exceptions.csv")
        exceptions = list(csv.DictReader(exceptions_file.open())) if exceptions_file.exists() else []
    total = next(row for row in rows if row.name == "Aggregated")
    rows = [row for row in rows if row.name != "Aggregated"]
    raised = sum(int(line["Count"]) for line in exceptions)
    if raised:
        rows.append(Row("task raised", raised, raised, 0, 0, 0))
        total = Row(
            total.name, total.requests + raised, total.failures + raised, total.p50, total.p95, total.p99
        )
        output = "\n".join(line["Traceback"] for line in exceptions)
    else:
        output = ""
    return rows, total, result.stdout + result.stderr + output


def _row(line: dict[str, str]) -> Row:
    def ms(column: str) -> float:
        value = line[column]
        return float(value) if value not in ("", "N/A") else 0.0

    return Row(
        name=line["Name"],
        requests=int(line["Request Count"]),
        failures=int(line["Failure Count"]),
        p50=ms("50%"),
        p95=ms("95%"),
        p99=ms("99%"),
    )


def report(rows: list[Row], total: Row, seconds: int, users: int) -> str:
    width = max(len(row.name) for row in [*rows, total])
    lines = [
        f"{users} users, {seconds} s: {total.requests} requests ({total.requests / seconds:.1f}/s), "
        f"{total.failures} errors ({total.error_rate:.2%})",
        f"{'operation':<{width}}  {'requests':>8}  {'errors':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}",
    ]
    for row in [*sorted(rows, key=lambda r: r.name), total]:
        lines.append(
            f"{row.name:<{width}}  {row.requests:>8}  {row.failures:>6}  {row.p50:>7.0f}  {row.p95:>7.0f}  {row.p99:>7.0f}"
        )
    return "\n".join(lines)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--host", help="a running platform's gateway (default: start one with tests/harness.py)"
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument(
        "--run-time", type=int, default=60, help="seconds of traffic after the ramp-up starts"
    )
    parser.add_argument("--products", type=int, default=24)
    parser.add_argument("--think", default="1,3", help="each user's wait between steps: min,max seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service (own platform)")
    parser.add_argument("--p99-ms", type=float, default=P99_TARGET_MS)
    parser.add_argument("--check", action="store_true", help="exit 1 on any error or a p99 over --p99-ms")
    args = parser.parse_args(argv)

    def run(base_url: str, admin_token: str) -> int:
        print(f"preparing {args.users} customers and {args.products} products …", flush=True)
        fixture = prepare(base_url, admin_token, customers=args.users, products=args.products)
        print(
            f"running {args.users} users for {args.run_time} s (load average before: {load_average()})",
            flush=True,
        )
        rows, total, _ = run_locust(
            base_url,
            fixture,
            users=args.users,
            spawn_rate=args.spawn_rate,
            run_time=args.run_time,
            think=args.think,
        )
        print(report(rows, total, args.run_time, args.users))
        print(f"load average after: {load_average()}")
        slow = [row.name for row in rows if row.p99 > args.p99_ms]
        verdict = total.failures == 0 and not slow
        print(
            f"target (0 errors, p99 ≤ {args.p99_ms:.0f} ms): {'met' if verdict else 'NOT met'}"
            + (f"; slow: {', '.join(slow)}" if slow else "")
        )
        return 0 if verdict or not args.check else 1

    if args.host:
        email = os.environ.get("LOAD_ADMIN_EMAIL", os.environ.get("SEED_ADMIN_EMAIL", "admin@demo.example"))
        password = os.environ.get(
            "LOAD_ADMIN_PASSWORD", os.environ.get("SEED_ADMIN_PASSWORD", "demo-Admin-2026!")
        )
        return run(args.host, Gateway(args.host).login(email, password))

    from tests.harness import Platform

    admin = ("load-admin@example.com", "load-Admin-Pass-2026!")
    print("starting a platform (tests/harness.py) …", flush=True)
    with Platform(extra_processes={"messaging": ("worker",)}, gunicorn_workers=args.workers) as platform:
        platform.create_admin(*admin)
        base_url = platform.url("")
        return run(base_url, Gateway(base_url).login(*admin))


if __name__ == "__main__":
    sys.exit(main())
