#!/usr/bin/env python3
"""Catalog product list throughput: the DRF API through the gateway vs a plain Django view.

    .venv/bin/python bench/catalog.py [--duration 10] [--connections 32] [--rounds 2]

One run, the same gunicorn settings (servicekit's gunicorn config, from the environment)
for every figure. Two catalog servers run side by side on a seeded database of their own
(``bench_catalog``): one with the Redis read cache off, one with it on; each sits behind its
own nginx gateway rendered by ``gateway/run.sh``. The load (wrk, keep-alive) alternates between:

- the plain Django view (no DRF, no auth) served directly by gunicorn: the same selector
  (count, page, images) and the same JSON envelope, byte for byte;
- ``GET /api/v1/catalog/products/`` (20 rows) with a customer's JWT (RS256, verified against a
  local JWKS server) through the gateway, cache off and cache on.

Figures are medians over the rounds; ratios are against the plain view. Nothing is asserted
(targets: cache off >= 0.7, cache on >= 1.0 of the plain view). Needs Postgres, Redis,
nginx and wrk (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

from servicekit.entrypoint import gunicorn_script

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "services" / "catalog"
BENCH_DIR = ROOT / "bench"
VAR = ROOT / "var" / "bench" / "catalog"
API_PATH = "/api/v1/catalog/products/"
PLAIN_PATH = "/bench/plain/products/"
PAGE_ROWS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, *, headers: dict[str, str] | None = None, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read()
        except Exception as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: {url} did not answer: {exc}") from exc
            time.sleep(0.3)


def database_url(name: str) -> str:
    host = os.environ.get("POSTGRES_HOST", "127.0.0.1")
    port = os.environ.get("POSTGRES_PORT", "5432")
    password = os.environ.get("CATALOG_DB_PASSWORD", "catalog")
    return f"postgres://catalog:{password}@{host}:{port}/{name}"


def ensure_database(name: str) -> None:
    """The bench's own database, owned by the catalog role (it may create pg_trgm there)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed(products: int) -> None:
    """Migrate and (re)load the data set: categories, products, two images each."""
    import django
    from django.core.management import call_command
    from django.db import connections, transaction

    django.setup()
    from catalog.categories.models import Category
    from catalog.inventory.models import StockAdjustment
    from catalog.products.models import Product, ProductImage

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        ProductImage.objects.all().delete()
        StockAdjustment.objects.all().delete()
        Product.objects.all().delete()
        Category.objects.all().delete()
        categories = Category.objects.bulk_create(
            Category(name=f"Category {n}", slug=f"category-{n}", position=n) for n in range(8)
        )
        rows = Product.objects.bulk_create(
            Product(
                sku=f"BENCH-{n:05d}",
                name=f"Bench product {n} wireless headphones",
                slug=f"bench-product-{n}",
                description="Comfortable over-ear headphones with noise cancelling. " * 3,
                price=Decimal(10 + n % 90) + Decimal("0.99"),
                currency="USD",
                stock_on_hand=100,
                reserved=n % 7,
                vendor_id=str(uuid.UUID(int=n % 5 + 1)),
                category=categories[n % len(categories)],
                attributes={"colour": ["black", "white", "blue"][n % 3], "wireless": True},
            )
            for n in range(products)
        )
        ProductImage.objects.bulk_create(
            ProductImage(product=product, url=f"https://cdn.example.com/{product.sku}/{i}.jpg", position=i)
            for product in rows
            for i in range(2)
        )
    connections.close_all()


class Processes(ExitStack):
    """Child processes, stopped (by their own pid) when the bench ends."""

    def start(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = open(VAR / f"{name}.log", "w")  # noqa: SIM115 (closed by the exit stack)
        self.enter_context(log)
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.callback(stop, process)
        return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: gunicorn's/nginx's workers too
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_wrk(url: str, *, args: argparse.Namespace, duration: float, token: str | None) -> float:
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if bad:
        raise SystemExit(f"bench: {bad.group(1)} failed responses from {url}:\n{output}")
    if errors and re.search(r"(read|write|timeout) [1-9]", errors.group(1)):
        print(f"  note: {url}: socket errors {errors.group(1)}", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per target")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per target (median)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--database", default=os.environ.get("BENCH_CATALOG_DB", "bench_catalog"))
    args = parser.parse_args()

    missing = [
        tool for tool in ("wrk", "nginx") if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing:
        print(f"bench/catalog.py needs {' and '.join(missing)}: apt-get install -y {' '.join(missing)}")
        return 2
    VAR.mkdir(parents=True, exist_ok=True)

    sys.path[:0] = [str(CATALOG_DIR), str(BENCH_DIR)]
    from servicekit.testing.jwks_server import JwksServer
    from servicekit.testing.tokens import TokenFactory

    tokens = TokenFactory()
    jwks = JwksServer(tokens.jwks()).start()
    token = tokens.access_token(str(uuid.uuid4()), roles=["customer"], lifetime=3600)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "catalog_plain.settings",
        "PYTHONPATH": os.pathsep.join([str(CATALOG_DIR), str(BENCH_DIR), os.environ.get("PYTHONPATH", "")]),
        "SERVICE_NAME": "catalog",
        "DATABASE_URL": database_url(args.database),
        "CACHE_KEY_PREFIX": "catalog-bench",
        "JWT_JWKS_URL": jwks.jwks_url,
        "DEBUG": "0",
    }
    ensure_database(args.database)
    os.environ.update(env)
    seed(args.products)
    workers = int(env.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count(), 4)))

    targets: dict[str, tuple[str, str | None]] = {}
    with Processes() as processes:
        for cache in ("off", "on"):
            port, gateway_port = free_port(), free_port()
            processes.start(
                f"gunicorn-cache-{cache}",
                [sys.executable, gunicorn_script(), "-c", "gunicorn.conf.py", "catalog.wsgi:application"],
                env={
                    **env,
                    "GUNICORN_BIND": f"127.0.0.1:{port}",
                    "CATALOG_CACHE_ENABLED": "1" if cache == "on" else "0",
                },
                cwd=CATALOG_DIR,
            )
            processes.start(
                f"gateway-cache-{cache}",
                ["bash", str(ROOT / "gateway" / "run.sh")],
                env={
                    **os.environ,
                    "GATEWAY_PORT": str(gateway_port),
                    "CATALOG_UPSTREAM": f"127.0.0.1:{port}",
                    "GATEWAY_PREFIX": str(VAR / f"gateway-cache-{cache}"),
                    "GATEWAY_RATE_GENERAL": "1000000r/s",  # measure throughput, not the rate limit
                    "GATEWAY_BURST_GENERAL": "1000000",
                },
                cwd=ROOT,
            )
            wait_http(f"http://127.0.0.1:{port}/healthz")
            if cache == "off":  # the machine's yardstick: how fast does "hello world" go right now
                targets["/healthz (hello world), direct"] = (f"http://127.0.0.1:{port}/healthz", None)
            targets[f"plain Django view, direct (server {cache})"] = (
                f"http://127.0.0.1:{port}{PLAIN_PATH}",
                None,
            )
            targets[f"DRF API via gateway, cache {cache}"] = (
                f"http://127.0.0.1:{gateway_port}{API_PATH}",
                token,
            )

        # The same rows and the same JSON from both paths (request ids and links aside).
        bodies = []
        for name, (url, bearer) in targets.items():
            if name.startswith("/healthz"):
                continue
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            body = json.loads(wait_http(url, headers=headers))
            assert len(body["data"]) == PAGE_ROWS, body
            bodies.append((body["data"], body["meta"]["pagination"]["count"]))
        same_json = all(candidate == bodies[0] for candidate in bodies)

        results: dict[str, list[float]] = {name: [] for name in targets}
        for url, bearer in targets.values():
            run_wrk(url, args=args, duration=args.warmup, token=bearer)
        for _ in range(args.rounds):
            for name, (url, bearer) in targets.items():
                results[name].append(run_wrk(url, args=args, duration=args.duration, token=bearer))
    jwks.stop()

    median = {name: statistics.median(values) for name, values in results.items()}
    plain = statistics.mean(value for name, value in median.items() if name.startswith("plain"))
    print(
        f"catalog product list, {PAGE_ROWS} rows of {args.products}: gunicorn {workers} sync workers, "
        f"{multiprocessing.cpu_count()} CPUs, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s x {args.rounds} (median); same JSON on every path: {'yes' if same_json else 'NO'}"
    )
    targets_for = {"off": 0.7, "on": 1.0}
    for name, value in median.items():
        line = f"  {name:<44} {value:>8.0f} req/s"
        if name.startswith("DRF"):
            cache = name.rsplit(" ", 1)[-1]
            ratio = value / plain
            verdict = "ok" if ratio >= targets_for[cache] else "below target"
            line += f"   {ratio:4.2f} x plain  (target >= {targets_for[cache]:.1f}: {verdict})"
        print(line)
    print(f"  {'plain view (mean of both servers)':<44} {plain:>8.0f} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
