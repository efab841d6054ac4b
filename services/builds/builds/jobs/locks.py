"""Postgres advisory locks (session level) that keep two workers off one job and serialise
the jobs that write one main repository.

They live as long as the worker's database session holds them: a worker that dies releases
them with its connection, so a re-dispatched job can run again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The platform's services share one database, so every key is namespaced by a hash.


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def job_key(job_id: int) -> int:
    return _key(f"builds.job:{job_id}")


def repository_key(repository_id: int) -> int:
    return _key(f"builds.repository:{repository_id}")


@contextmanager
def advisory_lock(key: int, *, wait: bool) -> Iterator[bool]:
    """Hold the lock inside the block; yields False (and holds nothing) when ``wait`` is False
    and someone else holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)" if wait else "SELECT pg_try_advisory_lock(%s)", [key])
        acquired = wait or bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def is_locked_elsewhere(key: int) -> bool:
    """Someone holds ``key`` (checked by taking and dropping it)."""
    with advisory_lock(key, wait=False) as acquired:
        return not acquired
