"""Read-through cache for the public catalog reads, invalidated by one version number.

Every cached read is stored under a key that contains the current *read version*. A
change to a product, a category, stock or reviews bumps the version after its transaction
commits (:func:`invalidate_catalog_reads`), so every older entry becomes unreachable at
once and simply expires; nothing has to enumerate keys to delete them.

Ordering argument for staleness: a reader that saw version ``v`` and then read the
database before a writer committed can only store its (old) answer under ``v``; the
writer bumps to ``v + 1`` after committing, and nobody reads ``v`` again.

Redis is an optimisation: when it is down, reads go to the database and log a warning.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("catalog.cache")

VERSION_KEY = "catalog:read-version"


def cache_enabled() -> bool:
    return bool(settings.CATALOG["CACHE_ENABLED"])


def read_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh (or evicted) counter starts from the clock, never from a number used before,
        # so entries written under an older counter can never be served again.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return int(version)


def bump_read_version() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # the counter is missing: start a new one
            cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:
        # Entries written under the old version expire after CACHE_SECONDS at the latest.
        logger.exception("could not invalidate the catalog read cache")


def invalidate_catalog_reads() -> None:
    """Call from a service whenever catalog data that reads show has changed."""
    transaction.on_commit(bump_read_version)


def audience_of(principal: Any) -> str:
    """Who the answer was computed for: staff and each vendor see more than the public."""
    if principal is None:
        return "public"
    if principal.is_staff:
        return "staff"
    if principal.has_role("vendor"):
        return f"vendor:{principal.id}"
    return "public"


def cache_key(*, version: int, audience: str, url: str) -> str:
    digest = hashlib.sha256(f"{audience}|{url}".encode()).hexdigest()[:40]
    return f"catalog:read:{version}:{digest}"


def cached(*, audience: str, url: str, compute: Callable[[], Any]) -> Any:
    """``compute()``'s result for this audience and URL, from the cache when possible."""
    if not cache_enabled():
        return compute()
    try:
        key = cache_key(version=read_version(), audience=audience, url=url)
        hit = cache.get(key)
    except Exception as exc:
        logger.warning("catalog cache unavailable, reading from the database: %s", exc)
        return compute()
    if hit is not None:
        return hit
    value = compute()
    try:
        cache.set(key, value, timeout=settings.CATALOG["CACHE_SECONDS"])
    except Exception as exc:
        logger.warning("could not store a catalog read in the cache: %s", exc)
    return value
