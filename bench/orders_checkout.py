#!/usr/bin/env python3
"""Checkout → confirmed latency through the gateway, on a platform this script starts itself.

Starts identity, catalog and orders (web, consumer, relay each) behind a real nginx gateway
with the test harness (own database, RabbitMQ vhost and signing key), seeds an admin, one
product with plenty of stock and a few customers, then times checkouts. For each one:

- checkout request: ``POST /api/v1/orders/`` sent → ``201`` received;
- checkout → confirmed, seen by polling: ``POST`` sent → a ``GET /api/v1/orders/{id}/``
  (sent every ``--poll-ms`` through the gateway, or back to back when one takes longer)
  answers ``confirmed``. Polling sees the change late: by the ``polling lag`` row;
- checkout → confirmed_at, with no polling error: the order's ``confirmed_at`` minus the
  moment the ``POST`` was sent. The services run on this host, so the client's
  ``time.time()`` and their ``timezone.now()`` read one clock;
- placed_at → confirmed_at, the saga alone on the server: ``placed_at`` is taken while the
  checkout transaction runs, ``confirmed_at`` when orders' consumer applies
  ``catalog.stock.reserved``. Between them: checkout commit → orders relay → RabbitMQ →
  catalog consumer (reserves) → catalog relay → RabbitMQ → orders consumer.

Two phases at a steady, moderate rate: one customer checking out sequentially at ``--rate``
per second (each checkout starts at its slot, or at once when the previous one ran late),
then ``--concurrency`` customers with random (Poisson) arrivals, ``--concurrent-rate`` per
second in total, so checkouts overlap. Polling is load too: a tighter ``--poll-ms`` sees the
change sooner but takes CPU from the saga. Nothing is asserted; the load average is printed
because the figures move with whatever else the machine runs.

Targets (issue: "checkout → confirmed latency p50/p99 measured through the gateway"):
p50 ≤ 100 ms, p99 ≤ 300 ms on this machine.

    .venv/bin/python bench/orders_checkout.py [--checkouts 200] [--rate 5] [--concurrency 4]
        [--concurrent-checkouts 100] [--concurrent-rate 8] [--poll-ms 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import Platform  # noqa: E402

ADMIN = ("bench-admin@example.com", "bench-Admin-Pass-2026!")
CUSTOMER_PASSWORD = "bench-Customer-Pass-2026!"
ADDRESS = {
    "name": "Bench Customer",
    "line1": "1 Bench Road",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}
STOCK = 1_000_000
TARGET_P50_MS = 100.0
TARGET_P99_MS = 300.0
ORDER_TIMEOUT_SECONDS = 15.0
ABORT = threading.Event()
LABEL = 40  # width of the report's first column


# -- set-up -------------------------------------------------------------------------------------


def login(platform: Platform, email: str, password: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        platform.url("/api/v1/auth/login/"), json={"email": email, "password": password}, timeout=10
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['data']['access']}"
    return session


def seed(platform: Platform, customers: int) -> tuple[str, list[str]]:
    """An admin, a category, one product with plenty of stock; returns its id and customer emails."""
    subprocess.run(
        [ROOT / "services/identity/entrypoint.sh", "manage", "createadmin", "--email", ADMIN[0]]
        + ["--password", ADMIN[1]],
        env=platform.env_for("identity"),
        check=True,
        capture_output=True,
    )
    admin = login(platform, *ADMIN)
    category = admin.post(
        platform.url("/api/v1/catalog/categories/"), json={"name": "Bench", "parent": None}, timeout=10
    )
    category.raise_for_status()
    product = admin.post(
        platform.url("/api/v1/catalog/products/"),
        json={
            "sku": "BENCH-CHECKOUT-1",
            "name": "Bench widget",
            "price": "12.50",
            "currency": "USD",
            "stock": STOCK,
            "category": category.json()["data"]["id"],
        },
        timeout=10,
    )
    product.raise_for_status()
    emails = [f"bench-customer-{n}@example.com" for n in range(customers)]
    for email in emails:
        requests.post(
            platform.url("/api/v1/auth/register/"),
            json={"email": email, "password": CUSTOMER_PASSWORD},
            timeout=10,
        ).raise_for_status()
    return product.json()["data"]["id"], emails


def add_to_cart(platform: Platform, session: requests.Session, product_id: str, wait: float = 0) -> None:
    """One unit in the cart; with ``wait``, retry while orders' read model has not heard of the product."""
    deadline = time.monotonic() + wait
    while True:
        response = session.post(
            platform.url("/api/v1/cart/items/"), json={"product_id": product_id, "quantity": 1}, timeout=10
        )
        if response.status_code in (200, 201):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"cannot add to the cart: {response.status_code} {response.text[:300]}")
        time.sleep(0.1)


def exited_processes(platform: Platform) -> str:
    """The platform's processes that have exited, with the end of their logs ('' when all run)."""
    dead = [name for name, child in platform.children.items() if child.poll() is not None]
    return "\n".join(f"{name} exited:\n{platform.log(name)[-1500:]}" for name in dead)


# -- one checkout -------------------------------------------------------------------------------


SERIES = ("request", "observed", "to_confirmed", "server", "lag", "poll_rtt", "polls", "errors")


@dataclass
class Samples:
    request: list[float] = field(default_factory=list)  # POST /orders/ sent → 201 received
    observed: list[float] = field(default_factory=list)  # POST sent → a poll answers "confirmed"
    to_confirmed: list[float] = field(default_factory=list)  # POST sent (client clock) → confirmed_at
    server: list[float] = field(default_factory=list)  # placed_at → confirmed_at
    lag: list[float] = field(default_factory=list)  # confirmed_at → the poll that saw it answered
    poll_rtt: list[float] = field(default_factory=list)
    polls: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def merge(self, other: Samples) -> None:
        with self.lock:
            for name in SERIES:
                getattr(self, name).extend(getattr(other, name))


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def checkout_once(platform: Platform, session: requests.Session, product_id: str, poll: float) -> Samples:
    """One checkout, polled until confirmed. Client and services share this host's clock, so
    ``time.time()`` here and the order's ``placed_at`` / ``confirmed_at`` can be subtracted."""
    samples = Samples()
    add_to_cart(platform, session, product_id)
    sent_wall, sent = time.time(), time.perf_counter()
    placed = session.post(
        platform.url("/api/v1/orders/"),
        json={"shipping_address": ADDRESS},
        headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
        timeout=10,
    )
    answered = time.perf_counter()
    if placed.status_code != 201:
        samples.errors.append(f"checkout answered {placed.status_code}: {placed.text[:200]}")
        return samples
    samples.request.append(answered - sent)
    order_url = platform.url(f"/api/v1/orders/{placed.json()['data']['id']}/")
    polls = 0
    while True:
        poll_sent = time.perf_counter()
        response = session.get(order_url, timeout=10)
        seen, seen_wall = time.perf_counter(), time.time()
        polls += 1
        samples.poll_rtt.append(seen - poll_sent)
        order = response.json()["data"]
        if order["status"] == "confirmed":
            confirmed_at = _epoch(order["confirmed_at"])
            samples.observed.append(seen - sent)
            samples.to_confirmed.append(confirmed_at - sent_wall)
            samples.server.append(confirmed_at - _epoch(order["placed_at"]))
            samples.lag.append(seen_wall - confirmed_at)
            samples.polls.append(polls)
            return samples
        if order["status"] != "pending":
            samples.errors.append(f"order became {order['status']}: {order.get('status_reason')}")
            return samples
        if seen - sent > ORDER_TIMEOUT_SECONDS:
            samples.errors.append(f"still pending after {ORDER_TIMEOUT_SECONDS:.0f}s")
            if exited_processes(platform):
                ABORT.set()  # nothing will be confirmed any more: stop every customer
            return samples
        time.sleep(max(0.0, poll_sent + poll - time.perf_counter()))


# -- phases -------------------------------------------------------------------------------------


def run_customer(
    platform: Platform,
    session: requests.Session,
    product_id: str,
    *,
    checkouts: int,
    rate: float,
    poisson: bool,
    poll: float,
    seed_value: int,
    into: Samples,
) -> None:
    """``checkouts`` checkouts at ``rate`` per second (fixed slots, or Poisson arrivals)."""
    rng = random.Random(seed_value)
    mine = Samples()
    next_start = time.perf_counter() + (rng.expovariate(rate) if poisson else 0)
    for _ in range(checkouts):
        if ABORT.is_set():
            break
        time.sleep(max(0.0, next_start - time.perf_counter()))
        try:
            done = checkout_once(platform, session, product_id, poll)
        except requests.RequestException as exc:
            done = Samples(errors=[f"{type(exc).__name__}: {exc}"])
        mine.merge(done)
        if poisson:  # open loop: arrivals keep their schedule
            next_start += rng.expovariate(rate)
        else:  # the next slot, or at once when this checkout ran past it
            next_start = max(next_start + 1 / rate, time.perf_counter())
    into.merge(mine)


def phase(
    platform: Platform,
    sessions: list[requests.Session],
    product_id: str,
    *,
    checkouts: int,
    rate: float,
    poll: float,
) -> tuple[Samples, float]:
    """``checkouts`` per session, sessions in parallel; ``rate`` is the total checkouts per second."""
    samples = Samples()
    poisson = len(sessions) > 1
    threads = [
        threading.Thread(
            target=run_customer,
            args=(platform, session, product_id),
            kwargs={
                "checkouts": checkouts,
                "rate": rate / len(sessions),
                "poisson": poisson,
                "poll": poll,
                "seed_value": index,
                "into": samples,
            },
            daemon=True,  # an interrupted run does not wait for them
        )
        for index, session in enumerate(sessions)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        ABORT.set()  # interrupted: the customers stop before the platform does
        raise
    if ABORT.is_set():
        raise SystemExit(
            f"orders stay pending because a platform process died:\n{exited_processes(platform)}"
        )
    return samples, time.perf_counter() - started


# -- report -------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of the samples at or below it."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def row(label: str, values: list[float], target: bool) -> str:
    if not values:
        return f"  {label:<{LABEL}} no samples"
    ms = [value * 1000 for value in values]
    p50, p95, p99, top = (percentile(ms, f) for f in (0.50, 0.95, 0.99, 1.0))
    line = f"  {label:<{LABEL}} {len(ms):>5} {p50:8.1f} {p95:8.1f} {p99:8.1f} {top:8.1f}"
    if target:
        verdict = (
            f"{'met' if p50 <= TARGET_P50_MS else 'MISSED'} / {'met' if p99 <= TARGET_P99_MS else 'MISSED'}"
        )
        line += f"   p50 ≤ {TARGET_P50_MS:.0f}, p99 ≤ {TARGET_P99_MS:.0f}: {verdict}"
    return line


def report(title: str, samples: Samples, wall: float, load_before: float) -> None:
    done = len(samples.observed)
    print(
        f"\n{title}: {done} confirmed in {wall:.1f}s ({done / wall:.1f}/s), {len(samples.errors)} errors; "
        f"load average {load_before:.2f} → {os.getloadavg()[0]:.2f}"
    )
    for error in samples.errors[:5]:
        print(f"  error: {error}")
    print(f"  {'ms':<{LABEL}} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}   target")
    print(row("checkout request: POST → 201", samples.request, target=False))
    print(row("checkout → confirmed, seen by polling", samples.observed, target=True))
    print(row("checkout → confirmed_at (no poll error)", samples.to_confirmed, target=True))
    print(row("placed_at → confirmed_at (server only)", samples.server, target=True))
    print(row("polling lag: confirmed_at → seen", samples.lag, target=False))
    print(row("one poll: GET the order", samples.poll_rtt, target=False))
    if samples.polls:
        print(f"  polls per checkout: mean {sum(samples.polls) / len(samples.polls):.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=200, help="sequential checkouts")
    parser.add_argument("--rate", type=float, default=5.0, help="sequential checkouts per second")
    parser.add_argument("--concurrency", type=int, default=4, help="customers at once in phase two")
    parser.add_argument("--concurrent-checkouts", type=int, default=100, help="per customer")
    parser.add_argument("--concurrent-rate", type=float, default=8.0, help="total checkouts per second")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="GET the order this often")
    parser.add_argument("--warmup", type=int, default=10, help="checkouts before measuring")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service")
    args = parser.parse_args()
    poll = args.poll_ms / 1000
    # Ctrl-C and SIGTERM both unwind through the platform's __exit__, which stops every process.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    load = os.getloadavg()
    print(
        f"orders checkout → confirmed through the gateway; {os.cpu_count()} CPUs, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min) at start: the machine may be shared"
    )
    with Platform(
        services=["identity", "catalog", "orders"],
        processes=("web", "consumer", "relay"),
        gunicorn_workers=args.workers,
    ) as platform:
        product_id, emails = seed(platform, max(1, args.concurrency))
        sessions = [login(platform, email, CUSTOMER_PASSWORD) for email in emails]
        for session in sessions:  # orders learns of the product from catalog's event
            add_to_cart(platform, session, product_id, wait=30)
        print(
            f"identity, catalog, orders: web (gunicorn sync x{args.workers}), consumer, relay; nginx gateway; "
            f"GET the order every {args.poll_ms:g} ms through the gateway"
        )

        warm, _ = phase(platform, sessions[:1], product_id, checkouts=args.warmup, rate=args.rate, poll=poll)
        if warm.errors:
            print(f"warm-up failed: {warm.errors[:3]}\n{exited_processes(platform)}")
            return 1

        load_before = os.getloadavg()[0]
        samples, wall = phase(
            platform, sessions[:1], product_id, checkouts=args.checkouts, rate=args.rate, poll=poll
        )
        report(
            f"sequential: 1 customer, {args.checkouts} checkouts at {args.rate:g}/s",
            samples,
            wall,
            load_before,
        )

        if args.concurrency > 1:
            load_before = os.getloadavg()[0]
            samples, wall = phase(
                platform,
                sessions,
                product_id,
                checkouts=args.concurrent_checkouts,
                rate=args.concurrent_rate,
                poll=poll,
            )
            report(
                f"concurrent: {args.concurrency} customers × {args.concurrent_checkouts} checkouts, "
                f"Poisson arrivals at {args.concurrent_rate:g}/s in total",
                samples,
                wall,
                load_before,
            )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; the platform was stopped")
