"""A bounded in-process LRU of already-verified access tokens.

A repeat request with the same token costs a hash and a dict lookup instead of an RSA
verification. Entries never outlive the token's ``exp``, and each remembers the ``kid`` that
signed it, so the caller can refuse a hit whose key identity no longer publishes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from servicekit.auth.principal import Principal


def token_digest(token: str) -> bytes:
    # Keyed by a hash so the cache never holds bearer credentials.
    return hashlib.sha256(token.encode()).digest()


class VerifiedToken(NamedTuple):
    principal: Principal
    kid: str  # the key that signed the token
    expires_at: float


class VerifiedTokenCache:
    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, VerifiedToken] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes, now: float | None = None) -> VerifiedToken | None:
        now = time.time() if now is None else now
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.expires_at <= now:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry

    def put(
        self,
        digest: bytes,
        principal: Principal,
        expires_at: float,
        *,
        kid: str,
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        if expires_at <= now or self.maxsize <= 0:
            return
        with self._lock:
            self._entries[digest] = VerifiedToken(principal, kid, expires_at)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
