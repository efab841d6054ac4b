"""Run jobs at the same moment, each in its own thread and real database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from django.db import connections


def run_concurrently(jobs: Iterable[Callable[[], object]], *, timeout: float = 120) -> list[BaseException]:
    """Start every job together (a barrier releases them); return the exceptions they raised."""
    jobs = list(jobs)
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except Exception as exc:  # reported to the caller: a deadlock or constraint error shows up
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)
    return errors
