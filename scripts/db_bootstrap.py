#!/usr/bin/env python3
"""Create the platform database, and for each service its own role and schema.

Idempotent; run with an administrative connection (POSTGRES_ADMIN_URL). Each role
owns only its schema and can neither read nor create anything in another's.

    python scripts/db_bootstrap.py [--database platform] [--services identity catalog ...]
"""

from __future__ import annotations

import argparse
import os
import sys

import psycopg
from psycopg import sql

SERVICES = ["identity", "catalog", "orders", "builds", "messaging", "analytics"]
# Extensions a service's migrations use but its role may not create (needs CREATE on the database).
EXTENSIONS = {"catalog": ["pg_trgm"]}
# Roles are the cluster's, not one database's: two bootstraps at once (`make load` beside
# `make test`, test platforms starting side by side) would update the same role rows and one
# fails with "tuple concurrently updated". They take turns on this advisory lock instead.
BOOTSTRAP_LOCK = 0x706C6174  # "plat"


def role_password(service: str) -> str:
    return os.environ.get(f"{service.upper()}_DB_PASSWORD", service)


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            print(f"created database {database}")


def ensure_service(conn: psycopg.Connection, database: str, service: str, *, createdb: bool) -> None:
    role = sql.Identifier(service)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [service]).fetchone()
    verb = "ALTER" if exists else "CREATE"
    # CREATEDB lets a developer's test run create its own test database; not in production.
    conn.execute(
        sql.SQL(verb + " ROLE {} LOGIN {} PASSWORD {}").format(
            role,
            sql.SQL("CREATEDB" if createdb else "NOCREATEDB"),
            sql.Literal(role_password(service)),
        )
    )
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(role, role))
    conn.execute(
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
            role, sql.Identifier(database), role
        )
    )
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role))
    for extension in EXTENSIONS.get(service, []):
        conn.execute(
            sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}").format(
                sql.Identifier(extension), role
            )
        )


def lock_down(conn: psycopg.Connection, database: str) -> None:
    """Nobody gets anything by default: no PUBLIC connect, no objects in public."""
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
    conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--database", default=os.environ.get("POSTGRES_DB", "platform"))
    parser.add_argument("--services", nargs="*", default=SERVICES)
    parser.add_argument(
        "--no-createdb", action="store_true", help="production: roles cannot create databases"
    )
    args = parser.parse_args(argv)

    try:
        with psycopg.connect(args.admin_url, autocommit=True) as turn:
            turn.execute("SELECT pg_advisory_lock(%s)", [BOOTSTRAP_LOCK])  # released as it closes
            ensure_database(args.admin_url, args.database)
            db_url = psycopg.conninfo.make_conninfo(args.admin_url, dbname=args.database)
            with psycopg.connect(db_url, autocommit=True) as conn:
                for service in args.services:
                    ensure_service(conn, args.database, service, createdb=not args.no_createdb)
                lock_down(conn, args.database)
    except psycopg.OperationalError as exc:
        print(f"cannot reach Postgres with {args.admin_url!r}: {exc}", file=sys.stderr)
        return 1
    print(f"database {args.database}: schemas and roles ready for {', '.join(args.services)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
