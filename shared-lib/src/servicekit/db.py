"""Database helpers: each service lives in its own Postgres schema."""

from __future__ import annotations

from typing import Any

from django.db import connections


def ensure_service_schema(*, using: str = "default", **_: Any) -> None:
    """Create the service's schema before migrations if it is missing.

    In deployed environments the schema already exists (created with the service's
    role by the database bootstrap); in a fresh test database it does not, and the
    service role owns that database, so it may create it.
    """
    connection = connections[using]
    schema = connection.settings_dict.get("SCHEMA")
    if not schema:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
