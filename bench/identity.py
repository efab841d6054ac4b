#!/usr/bin/env python3
"""identity's hot paths, measured in-process: login, refresh, token verification, API keys.

    .venv/bin/python bench/identity.py [--logins 30] [--refreshes 200] [--verifications 2000]

Runs identity's own code with production-grade settings (Argon2 password hashing, a 2048-bit
RS256 key) against a database of its own (``bench_identity``, migrated on first use) and the
real Redis. Verification goes through servicekit.auth exactly as every service does, with the
JWKS fetched over HTTP from a local server publishing identity's key. No HTTP server or
gateway sits in front of identity here: the figures are the cost of the work itself.
Nothing is asserted; medians and 95th percentiles are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDENTITY_DIR = ROOT / "services" / "identity"
DATABASE = "bench_identity"


def configure(key_file: Path) -> None:
    sys.path.insert(0, str(IDENTITY_DIR))
    os.environ["DJANGO_ENV"] = "development"  # Argon2, not the tests' fast hasher
    os.environ.setdefault("DATABASE_URL", f"postgres://identity:identity@127.0.0.1:5432/{DATABASE}")
    os.environ.setdefault("DB_SCHEMA", "identity")
    os.environ["JWT_PRIVATE_KEY_FILE"] = str(key_file)
    os.environ["CACHE_KEY_PREFIX"] = f"bench-identity-{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "identity.settings")


def ensure_database() -> None:
    import psycopg

    admin_url = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}" OWNER identity')


def timed(operation: Callable[[int], object], count: int) -> list[float]:
    samples = []
    for n in range(count):
        started = time.perf_counter()
        operation(n)
        samples.append(time.perf_counter() - started)
    return samples


def report(name: str, samples: list[float], unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1_000_000
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * scale
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] * scale
    rate = len(samples) / sum(samples)
    print(f"  {name:<44} p50 {p50:9.2f} {unit}   p95 {p95:9.2f} {unit}   {rate:10.0f}/s (one thread)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument("--refreshes", type=int, default=200)
    parser.add_argument("--verifications", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-identity-") as workdir:
        return run(args, Path(workdir) / "jwt-signing.pem")


def run(args: argparse.Namespace, key_file: Path) -> int:
    configure(key_file)
    ensure_database()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from identity.accounts.services import user_create
    from identity.apikeys.services import api_key_authenticate, api_key_create
    from identity.logins.services import LoginContext, login_authenticate
    from identity.tokens.keys import current_keyring, generate_private_key, private_pem, write_atomically
    from identity.tokens.services import token_pair_issue, token_refresh
    from servicekit.auth.tokens import verified_tokens, verify_access_token
    from servicekit.testing.http_server import LocalHttpServer

    write_atomically(key_file, private_pem(generate_private_key()))
    call_command("migrate", verbosity=0)
    print(
        f"identity bench: hasher {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1]}, RS256 2048-bit, db {DATABASE}"
    )

    password = "bench-Passphrase-2024"
    user = user_create(email=f"bench-{uuid.uuid4().hex[:10]}@example.com", password=password)
    context = LoginContext(ip="203.0.113.1", user_agent="bench")

    def login(_: int) -> None:
        token_pair_issue(user=login_authenticate(email=user.email, password=password, context=context))

    print("login (password check + history + event + token pair):")
    report("POST /auth/login/ work", timed(login, args.logins))
    report(
        "  of which the Argon2 password check", timed(lambda _: user.check_password(password), args.logins)
    )

    refresh = token_pair_issue(user=user).refresh

    def rotate(_: int) -> None:
        nonlocal refresh
        refresh = token_refresh(refresh=refresh).refresh

    print("refresh (decode + row lock + rotation + new pair):")
    report("POST /auth/refresh/ work", timed(rotate, args.refreshes))

    jwks = LocalHttpServer(lambda request: (200, current_keyring().jwks())).start()
    settings.SERVICEKIT["JWT"]["JWKS_URL"] = f"{jwks.url}/.well-known/jwks.json"
    tokens = [token_pair_issue(user=user).access for _ in range(args.verifications)]
    verify_access_token(tokens[0])  # the one JWKS fetch, not measured
    verified_tokens.clear()
    print("access-token verification in a service (servicekit.auth):")
    report(
        "first sight of a token (RS256 verify)",
        timed(lambda n: verify_access_token(tokens[n]), len(tokens)),
        "us",
    )
    report(
        "repeat token (verified-token cache)",
        timed(lambda n: verify_access_token(tokens[n]), len(tokens)),
        "us",
    )
    jwks.stop()

    _, raw_key = api_key_create(user=user, name="bench", scopes=["orders:read"])
    print("API-key introspection work in identity (keyed hash, one indexed read):")
    report(
        "api_key_authenticate", timed(lambda _: api_key_authenticate(raw_key=raw_key), args.refreshes), "us"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
