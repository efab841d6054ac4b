"""Run jobs at the same moment, each in its own thread and real database connection.

A test using these needs ``pytest.mark.django_db(transaction=True)``: the threads cannot see a
test transaction that is never committed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def results_concurrently(jobs: Iterable[Callable[[], T]], *, timeout: float = 120) -> list[T | Exception]:
    """Start every job together (a barrier releases them); each job's result, or the exception
    it raised, in the jobs' order."""
    jobs = list(jobs)
    barrier = threading.Barrier(len(jobs))
    outcomes: list[T | Exception | None] = [None] * len(jobs)

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = job()
        except Exception as exc:  # reported to the caller: a deadlock or constraint error shows up
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a job did not finish"
    return outcomes  # type: ignore[return-value]  # every slot was filled: each thread ended


def run_concurrently(jobs: Iterable[Callable[[], object]], *, timeout: float = 120) -> list[BaseException]:
    """Start every job together; return the exceptions they raised."""
    return [
        outcome for outcome in results_concurrently(jobs, timeout=timeout) if isinstance(outcome, Exception)
    ]
