"""Run a function in real threads, all released at once, for the race tests.

Each thread talks to the real database over its own connection and closes it when done (a
test using this needs ``pytest.mark.django_db(transaction=True)``: the threads cannot see
a test transaction that is never committed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")
TIMEOUT_SECONDS = 30


def run_concurrently(count: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` … ``work(count - 1)`` in ``count`` threads started together; their results
    in order. An exception in any thread fails the test."""
    barrier = threading.Barrier(count)
    results: list[T | None] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            results[index] = work(index)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,), name=f"race-{index}") for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
