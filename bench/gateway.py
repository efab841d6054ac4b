#!/usr/bin/env python3
"""Gateway overhead and JWT verification cost, measured in one run.

Starts identity and catalog (web only, Redis read cache off so every request hits
Postgres) behind a real nginx gateway, seeds 20 products, then drives catalog's product
list with wrk: directly against gunicorn and through the gateway, anonymous and with a
real access token issued by identity. Prints requests/s for each and the ratios.

Targets (issue "Platform foundation"): gateway ≥ 0.95 × direct; JWT cost ≤ 3 %.

    .venv/bin/python bench/gateway.py [--seconds 8] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import Platform  # noqa: E402

ADMIN = ("bench-admin@example.com", "bench-Admin-Pass-2026!")
CUSTOMER = ("bench-customer@example.com", "bench-Customer-Pass-2026!")
LIST_PATH = "/api/v1/catalog/products/?page_size=20"


def wrk(url: str, *, seconds: int, connections: int, token: str | None) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


# Run inside a catalog process: the same view through Django's test client, anonymous and with
# the token, interleaved; CPU time per request is far steadier than HTTP throughput here.
IN_PROCESS = """
import os, time
from django.test import Client
client, token, path = Client(), os.environ["BENCH_TOKEN"], os.environ["BENCH_PATH"]
auth = {"HTTP_AUTHORIZATION": "Bearer " + token}
for _ in range(50):
    client.get(path); client.get(path, **auth)
spent = {"anonymous": 0.0, "jwt": 0.0}
for _ in range(int(os.environ["BENCH_REPEAT"])):
    for name, headers in (("anonymous", {}), ("jwt", auth)):
        started = time.process_time()
        assert client.get(path, **headers).status_code == 200
        spent[name] += time.process_time() - started
print(spent["anonymous"], spent["jwt"])
"""


def in_process_cost(platform: Platform, token: str, repeat: int = 1000) -> tuple[float, float]:
    """CPU seconds per request (anonymous, JWT) inside catalog, without HTTP or the gateway."""
    env = {
        **platform.env_for("catalog"),
        "BENCH_TOKEN": token,
        "BENCH_PATH": LIST_PATH,
        "BENCH_REPEAT": str(repeat),
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [ROOT / "services/catalog/entrypoint.sh", "manage", "shell", "-c", IN_PROCESS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    anonymous, jwt = (float(value) / repeat for value in result.stdout.split()[-2:])
    return anonymous, jwt


def login(platform: Platform, email: str, password: str) -> str:
    response = requests.post(
        platform.url("/api/v1/auth/login/"), json={"email": email, "password": password}, timeout=10
    )
    response.raise_for_status()
    return response.json()["data"]["access"]


def seed(platform: Platform) -> str:
    """An admin creates 20 products; returns a customer's access token."""
    subprocess.run(
        [
            ROOT / "services/identity/entrypoint.sh",
            "manage",
            "createadmin",
            "--email",
            ADMIN[0],
            "--password",
            ADMIN[1],
        ],
        env=platform.env_for("identity"),
        check=True,
        capture_output=True,
    )
    headers = {"Authorization": f"Bearer {login(platform, *ADMIN)}"}
    category = requests.post(
        platform.url("/api/v1/catalog/categories/"),
        json={"name": "Bench", "parent": None},
        headers=headers,
        timeout=10,
    )
    category.raise_for_status()
    category_id = category.json()["data"]["id"]
    for n in range(20):
        product = {
            "sku": f"BENCH-{n:03d}",
            "name": f"Bench product {n}",
            "price": f"{10 + n}.50",
            "currency": "USD",
            "stock": 100,
            "category": category_id,
            "description": "A product used to measure the list endpoint.",
        }
        requests.post(
            platform.url("/api/v1/catalog/products/"), json=product, headers=headers, timeout=10
        ).raise_for_status()
    requests.post(
        platform.url("/api/v1/auth/register/"),
        json={"email": CUSTOMER[0], "password": CUSTOMER[1]},
        timeout=10,
    ).raise_for_status()
    return login(platform, *CUSTOMER)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install -y wrk", file=sys.stderr)
        return 1

    with Platform(
        services=["identity", "catalog"],
        processes=("web",),
        gunicorn_workers=args.workers,
        env={"CATALOG_CACHE_ENABLED": "false"},
    ) as platform:
        token = seed(platform)
        targets = {
            "direct": platform.direct_url("catalog", LIST_PATH),
            "gateway": platform.url(LIST_PATH),
        }
        assert len(requests.get(targets["gateway"], timeout=5).json()["data"]) == 20
        runs: dict[tuple[str, str], list[float]] = {}
        for url in targets.values():  # warm-up: connections, caches, JWKS fetch
            wrk(url, seconds=2, connections=args.connections, token=token)
        for _ in range(args.rounds):  # interleaved so drift hits every variant alike
            for path, url in targets.items():
                for auth in ("anonymous", "jwt"):
                    rps = wrk(
                        url,
                        seconds=args.seconds,
                        connections=args.connections,
                        token=token if auth == "jwt" else None,
                    )
                    runs.setdefault((path, auth), []).append(rps)
        cpu_anonymous, cpu_jwt = in_process_cost(platform, token)

    median = {key: statistics.median(values) for key, values in runs.items()}
    print(
        f"\ncatalog product list, 20 rows, Postgres-backed (cache off); gunicorn sync x{args.workers}, "
        f"wrk -c{args.connections}, {args.rounds} x {args.seconds}s, median"
    )
    print(f"{'path':<9} {'auth':<10} {'req/s':>9}   runs")
    for (path, auth), value in median.items():
        print(f"{path:<9} {auth:<10} {value:>9.0f}   {', '.join(f'{v:.0f}' for v in runs[(path, auth)])}")
    for auth in ("anonymous", "jwt"):
        ratio = median[("gateway", auth)] / median[("direct", auth)]
        print(f"gateway / direct ({auth}): {ratio:.3f}   target >= 0.95")
    for path in ("direct", "gateway"):
        cost = 1 - median[(path, "jwt")] / median[(path, "anonymous")]
        print(f"JWT verification cost ({path}, throughput): {cost * 100:+.1f}%   target <= 3%")
    # Throughput varies ±15% run to run on a shared 2-core machine, more than the 3% budget;
    # the in-process CPU time per request resolves the difference.
    print(
        f"in-process CPU per request: anonymous {cpu_anonymous * 1000:.2f} ms, JWT {cpu_jwt * 1000:.2f} ms, "
        f"JWT cost {(cpu_jwt / cpu_anonymous - 1) * 100:+.1f}%   target <= 3%"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
