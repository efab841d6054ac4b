"""Wait for a condition by polling, never by a fixed sleep::

wait_until(lambda: len(server.requests) == 2)                # AssertionError after 10 s
row = wait_until(lambda: Thing.objects.filter(...).first())  # returns the truthy value
assert poll(check, timeout=60), check.last                   # the last value, for a message
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(condition: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02) -> T:
    """Call ``condition`` until it returns something truthy or ``timeout`` passes; its last
    result either way (the caller words the failure)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def wait_until(condition: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02) -> T:
    """Call ``condition`` until it returns something truthy and return that; fail after ``timeout``."""
    result = poll(condition, timeout=timeout, interval=interval)
    if not result:
        raise AssertionError(f"condition not met within {timeout:g}s: {condition!r}")
    return result
