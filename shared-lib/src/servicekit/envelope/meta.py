from __future__ import annotations

from typing import Any

from servicekit.observability.context import get_request_id


def build_meta(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"request_id": get_request_id()}
    if extra:
        meta.update(extra)
    return meta
