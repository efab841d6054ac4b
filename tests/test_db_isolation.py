"""Each service's database role reaches its own schema and nothing else.

Runs the real bootstrap script against a throwaway database, then connects as
each service role the way the services do.
"""

from __future__ import annotations

import itertools
import uuid

import psycopg
import pytest
from psycopg import errors

from scripts import db_bootstrap

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SERVICES = db_bootstrap.SERVICES


@pytest.fixture(scope="module")
def database():
    name = f"isolation_{uuid.uuid4().hex[:8]}"
    assert db_bootstrap.main(["--admin-url", ADMIN_URL, "--database", name]) == 0
    yield name
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def connect_as(service: str, database: str) -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1",
        port=5432,
        dbname=database,
        user=service,
        password=db_bootstrap.role_password(service),
        autocommit=True,
    )


@pytest.fixture(scope="module")
def tables(database):
    """Every service creates a table holding a secret in its own schema."""
    for service in SERVICES:
        with connect_as(service, database) as conn:
            conn.execute("CREATE TABLE secrets (value text)")  # lands in its schema via search_path
            conn.execute("INSERT INTO secrets VALUES (%s)", [f"{service}-secret"])
    return database


@pytest.mark.parametrize("service", SERVICES)
def test_a_role_reads_its_own_schema(tables, service):
    with connect_as(service, tables) as conn:
        assert conn.execute("SELECT value FROM secrets").fetchone() == (f"{service}-secret",)
        assert conn.execute("SELECT current_schema()").fetchone() == (service,)


@pytest.mark.parametrize(("reader", "owner"), list(itertools.permutations(SERVICES, 2)))
def test_a_role_cannot_read_another_services_schema(tables, reader, owner):
    with connect_as(reader, tables) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(f'SELECT value FROM "{owner}".secrets')


def test_catalog_cannot_create_in_identity_or_public(tables):
    with connect_as("catalog", tables) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE identity.intruder (id int)")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.intruder (id int)")


def test_bootstrap_is_idempotent(tables):
    assert db_bootstrap.main(["--admin-url", ADMIN_URL, "--database", tables]) == 0
    with connect_as("orders", tables) as conn:
        assert conn.execute("SELECT value FROM secrets").fetchone() == ("orders-secret",)


def test_bootstraps_at_once_take_turns_instead_of_failing():
    """Roles are the cluster's: bootstraps side by side (test platforms starting together,
    `make load` beside `make test`) once failed with "tuple concurrently updated"."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    names = [f"isolation_{uuid.uuid4().hex[:8]}" for _ in range(4)]
    together = threading.Barrier(len(names))

    def bootstrap(name: str) -> int:
        together.wait(timeout=30)
        return db_bootstrap.main(["--admin-url", ADMIN_URL, "--database", name])

    try:
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            assert list(pool.map(bootstrap, names)) == [0, 0, 0, 0]
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
