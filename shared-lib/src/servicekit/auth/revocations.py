"""Access tokens revoked before they expire, known to every process of a service within seconds.

identity announces ``identity.user.tokens_revoked`` (log out everywhere, deactivation,
password change or reset). The service's event consumer records "tokens of this user issued
before T are void" in a small Redis hash of the service's own; each web process pulls that
hash at most every ``REVOCATION_SYNC_SECONDS``. Verification so still makes no network call
per request, and a revocation takes effect within seconds instead of at the token's expiry.
Entries are dropped once no token they could void is still valid.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import cast

import redis
from django.conf import settings

logger = logging.getLogger("servicekit.auth")

# Longer than any access token lives (≤ 15 min) plus clock leeway.
HORIZON_SECONDS = 20 * 60


class Revocations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = {}
        self._synced_at = float("-inf")
        self._client: redis.Redis | None = None

    # -- writing (the event consumer) ------------------------------------------------------

    def revoke(self, user_id: str, revoked_at: float) -> None:
        client, key = self._redis()
        client.hset(key, str(user_id), repr(revoked_at))
        client.expire(key, HORIZON_SECONDS)
        stale = [uid for uid, at in self._read(client, key).items() if at < time.time() - HORIZON_SECONDS]
        if stale:
            client.hdel(key, *stale)
        with self._lock:
            self._revoked[str(user_id)] = revoked_at

    # -- reading (every request, from memory) ----------------------------------------------

    def is_revoked(self, user_id: str, issued_at: float) -> bool:
        """True if the user's tokens issued before a recorded revocation are void."""
        self._sync_if_due()
        revoked_at = self._revoked.get(str(user_id))
        # iat has whole seconds: a token issued in the revocation's own second stays valid.
        return revoked_at is not None and issued_at < int(revoked_at)

    def clear(self) -> None:
        client, key = self._redis()
        client.delete(key)
        with self._lock:
            self._revoked.clear()
            self._synced_at = float("-inf")

    # -- internals -------------------------------------------------------------------------

    def _sync_if_due(self) -> None:
        interval = settings.SERVICEKIT["JWT"].get("REVOCATION_SYNC_SECONDS", 5)
        now = time.monotonic()
        if now - self._synced_at < interval:
            return
        with self._lock:
            if now - self._synced_at < interval:
                return
            self._synced_at = now
            try:
                client, key = self._redis()
                self._revoked = self._read(client, key)
            except redis.RedisError as exc:  # keep the last known list; retry next interval
                logger.warning("could not sync token revocations: %s", exc)

    @staticmethod
    def _read(client: redis.Redis, key: str) -> dict[str, float]:
        revoked = cast("dict[bytes, bytes]", client.hgetall(key))  # bytes: no decode_responses
        return {uid.decode(): float(at) for uid, at in revoked.items()}

    def _redis(self) -> tuple[redis.Redis, str]:
        cache = settings.CACHES["default"]
        if self._client is None:
            self._client = redis.Redis.from_url(cache["LOCATION"], socket_timeout=1, socket_connect_timeout=1)
        return self._client, f"{cache.get('KEY_PREFIX', '')}:servicekit:revoked-users"


revocations = Revocations()
