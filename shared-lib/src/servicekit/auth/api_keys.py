"""Resolve ``<prefix>.<secret>`` API keys through identity's introspection endpoint.

Answers are cached in the Django cache (Redis), shared by every process of the service:
- positive answers under a key derived from the prefix (so the ``identity.api_key.revoked``
  consumer can drop them with :func:`forget_api_key`), holding a SHA-256 of the full key,
  never the key itself, for ``API_KEY_CACHE_SECONDS`` and never past the key's expiry;
- negative answers under the digest of the presented key, for a few seconds, so a wrong
  secret cannot evict the real key's entry.

A revocation consumed while a request is asking identity must not be undone by that
request caching identity's (by then stale) "active" answer: :func:`forget_api_key` leaves a
tombstone for as long as a positive entry could live, and while it exists answers for that
prefix are not cached (each request asks identity, which says the key is revoked).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import AuthenticationFailed

from servicekit.auth.principal import Principal
from servicekit.envelope.errors import ApplicationError
from servicekit.internal import post_internal

logger = logging.getLogger("servicekit.auth")

API_KEY_PATTERN = re.compile(r"^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{1,512})$")
NEGATIVE_CACHE_SECONDS = 10


def invalid_api_key(message: str = "API key is invalid.") -> AuthenticationFailed:
    return AuthenticationFailed(message, code="api_key_invalid")


def resolve_api_key(raw_key: str) -> Principal:
    """The principal behind an active API key; ``AuthenticationFailed`` or 503 otherwise."""
    match = API_KEY_PATTERN.match(raw_key)
    if not match:
        raise invalid_api_key("API key is malformed; expected '<prefix>.<secret>'.")
    prefix = match.group(1)
    digest = hashlib.sha256(raw_key.encode()).hexdigest()

    entry = _cache_get(positive_cache_key(prefix))
    if entry and hmac.compare_digest(entry.get("digest", ""), digest) and _not_expired(entry):
        return _principal(entry)
    if _cache_get(negative_cache_key(digest)):
        raise invalid_api_key()

    answer = introspect(raw_key)
    if not answer.get("active") or not answer.get("user_id") or not _not_expired(answer):
        _cache_set(negative_cache_key(digest), True, NEGATIVE_CACHE_SECONDS)
        raise invalid_api_key()
    entry = {
        "digest": digest,
        "prefix": prefix,
        "user_id": str(answer["user_id"]),
        "roles": list(answer.get("roles") or []),
        "scopes": list(answer.get("scopes") or []),
        "expires_at": answer.get("expires_at"),
    }
    ttl = _positive_ttl(entry)
    if ttl > 0 and not _cache_get(tombstone_cache_key(prefix)):
        _cache_set(positive_cache_key(prefix), entry, ttl)
        # forget_api_key() may have run between the check above and the write: it sets its
        # tombstone before deleting, so one of the two sees the other's work.
        if _cache_get(tombstone_cache_key(prefix)):
            _cache_delete(positive_cache_key(prefix))
    return _principal(entry)


def forget_api_key(prefix: str) -> None:
    """Drop the cached answer for ``prefix`` and keep it from being cached again for as long
    as an answer could be cached (called on ``identity.api_key.revoked`` and on the owner's
    deactivation). The tombstone goes first: see :func:`resolve_api_key`."""
    ttl = float(settings.SERVICEKIT["JWT"]["API_KEY_CACHE_SECONDS"])
    try:
        cache.set(tombstone_cache_key(prefix), True, timeout=max(ttl, 1))
        cache.delete(positive_cache_key(prefix))
    except Exception:  # the entry expires within API_KEY_CACHE_SECONDS anyway
        logger.exception("could not drop cached API key %s", prefix)


def positive_cache_key(prefix: str) -> str:
    return f"servicekit:apikey:{prefix}"


def tombstone_cache_key(prefix: str) -> str:
    return f"servicekit:apikey-revoked:{prefix}"


def negative_cache_key(digest: str) -> str:
    return f"servicekit:apikey-denied:{digest}"


def introspect(raw_key: str) -> dict[str, Any]:
    """Ask identity about a key; any transport or protocol failure is a 503."""
    conf = settings.SERVICEKIT["JWT"]
    timeout = conf.get("API_KEY_TIMEOUT_SECONDS", conf["JWKS_TIMEOUT_SECONDS"])
    try:
        data = post_internal(conf["API_KEY_INTROSPECTION_URL"], {"key": raw_key}, timeout=timeout)
        if not isinstance(data, dict):
            raise ValueError("'data' is not an object")
        return data
    except (OSError, ValueError, KeyError, TypeError) as exc:  # URLError/HTTPError are OSErrors
        logger.warning("API key introspection failed: %s", exc)
        raise ApplicationError(
            "API keys cannot be checked right now: identity is unavailable.",
            code="upstream_unavailable",
            status_code=503,
        ) from None


def _principal(entry: dict[str, Any]) -> Principal:
    return Principal(
        id=entry["user_id"],
        roles=frozenset(entry["roles"]),
        scopes=frozenset(entry["scopes"]),
        auth_method="api_key",
        claims={
            "sub": entry["user_id"],
            "roles": entry["roles"],
            "scope": " ".join(entry["scopes"]),
            "api_key_prefix": entry["prefix"],
            "expires_at": entry["expires_at"],
        },
    )


def _expires_at(entry: dict[str, Any]) -> float | None:
    value = entry.get("expires_at")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return 0.0  # unparseable: treat as already expired rather than forever valid
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the platform speaks UTC
    return moment.timestamp()


def _not_expired(entry: dict[str, Any]) -> bool:
    expires_at = _expires_at(entry)
    return expires_at is None or expires_at > time.time()


def _positive_ttl(entry: dict[str, Any]) -> int:
    ttl = float(settings.SERVICEKIT["JWT"]["API_KEY_CACHE_SECONDS"])
    expires_at = _expires_at(entry)
    if expires_at is not None:
        ttl = min(ttl, expires_at - time.time())
    return int(ttl)


# The cache is an optimisation: when Redis is down, ask identity instead of failing.
def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:
        logger.warning("cache read failed for %s: %s", key, exc)
        return None


def _cache_set(key: str, value: Any, ttl: float) -> None:
    try:
        cache.set(key, value, timeout=ttl)
    except Exception as exc:
        logger.warning("cache write failed for %s: %s", key, exc)


def _cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception as exc:
        logger.warning("cache delete failed for %s: %s", key, exc)
