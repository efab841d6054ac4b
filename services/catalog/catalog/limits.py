"""Bounds the database puts on the catalog's values, checked before they reach it.

Postgres ``integer`` (every IntegerField/PositiveIntegerField here) is 4 bytes: a larger
number is a ``DataError`` (a 500), so inputs are bounded first and answer a 400 naming the
field. ``jsonb`` refuses the NUL character (``\\u0000``) anywhere in a string or key.
"""

from __future__ import annotations

import math
from typing import Any

MAX_INT = 2_147_483_647  # the largest Postgres integer


def json_problem(value: Any) -> str | None:
    """Why ``value`` cannot be stored as ``jsonb`` (a NUL in a key or string, a non-finite
    number), or None. Iterative, so deeply nested input cannot exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return "Keys cannot contain the NUL character (\\u0000)."
                pending.append(child)
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "Text cannot contain the NUL character (\\u0000)."
        elif isinstance(item, float) and not math.isfinite(item):
            return "Numbers must be finite."
    return None
