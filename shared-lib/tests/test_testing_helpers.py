"""servicekit.testing's helpers for services' tests: polling and concurrent jobs."""

import threading
import time

import pytest

from servicekit.testing.concurrency import results_concurrently, run_concurrently
from servicekit.testing.polling import wait_until


def test_wait_until_returns_the_first_truthy_value():
    calls = []

    def condition():
        calls.append(1)
        return len(calls) >= 3 and "ready"

    assert wait_until(condition, interval=0.001) == "ready"
    assert len(calls) == 3


def test_wait_until_fails_after_the_timeout():
    started = time.monotonic()

    with pytest.raises(AssertionError, match="not met within 0.05s"):
        wait_until(lambda: False, timeout=0.05, interval=0.01)

    assert time.monotonic() - started < 1.0


@pytest.mark.django_db(transaction=True)
def test_run_concurrently_starts_jobs_together_and_reports_their_errors():
    inside = []
    both_inside = threading.Event()

    def job():
        inside.append(1)
        if len(inside) == 2:
            both_inside.set()
        assert both_inside.wait(5), "the jobs did not run at the same time"

    def failing():
        job()
        raise ValueError("boom")

    errors = run_concurrently([job, failing])

    assert [type(error) for error in errors] == [ValueError]
    assert len(inside) == 2


@pytest.mark.django_db(transaction=True)
def test_results_concurrently_answers_each_jobs_result_or_exception_in_order():
    started = threading.Barrier(3)

    def job(n: int):
        started.wait(5)  # passes only if all three run at once
        if n == 1:
            raise ValueError(n)
        return n * 10

    outcomes = results_concurrently([lambda n=n: job(n) for n in range(3)])

    assert outcomes[0] == 0 and outcomes[2] == 20
    assert isinstance(outcomes[1], ValueError) and outcomes[1].args == (1,)
