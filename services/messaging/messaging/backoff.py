"""Exponential backoff between attempts of a task (sends, provider calls, e-mails)."""

from __future__ import annotations

import random


def backoff_seconds(attempt: int, *, base: float, cap: float, jitter: float = 0.1) -> float:
    """The pause after failed attempt number ``attempt`` (1-based): base·2^(attempt-1), at most
    ``cap``, spread by ±``jitter`` so retries of many messages do not arrive together."""
    pause = min(cap, base * 2 ** max(attempt - 1, 0))
    return max(0.0, pause * (1 + random.uniform(-jitter, jitter)))
