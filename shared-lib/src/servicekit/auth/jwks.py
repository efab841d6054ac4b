"""identity's public signing keys (JWKS), fetched over HTTP and cached process-wide.

- Keys are cached for ``JWKS_CACHE_SECONDS``; an unknown ``kid`` triggers one refetch.
- Fetches of any kind are spaced at least ``JWKS_MIN_REFETCH_SECONDS`` apart, so a flood of
  tokens with made-up ``kid`` values costs identity at most one request per interval.
- If identity is unreachable the last good keys keep being served.
- Already-verified tokens (``verified.py``) are re-checked against ``current_keys()`` on every
  use, so a key identity withdraws stops working within ``JWKS_CACHE_SECONDS``.
- With no keys at all (identity unreachable since start-up) callers get ``JWKSUnavailable``
  (a 503 ``upstream_unavailable``), and a fetch is tried again at most every
  ``NO_KEYS_REFETCH_SECONDS``: with nothing cached every request fails, so waiting the full
  interval would keep the service refusing everyone for half a minute after identity is back.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

logger = logging.getLogger("servicekit.auth")

MIN_RSA_BITS = 2048
MAX_JWKS_BYTES = 1024 * 1024
# While no keys are cached at all: the spacing of fetch attempts (see the module docstring).
NO_KEYS_REFETCH_SECONDS = 1.0


class JWKSUnavailable(Exception):
    """No keys are cached and identity's JWKS endpoint cannot be read."""


class JWKSCache:
    """Thread-safe ``kid`` → RSA public key map. ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at = -math.inf  # last fetch attempt, successful or not

    def clear(self) -> None:
        with self._lock:
            self._keys = {}
            self._fetched_at = None
            self._attempted_at = -math.inf

    def current_keys(self) -> dict[str, RSAPublicKey]:
        """The published keys (refreshed first once stale): what a cached token's kid is checked
        against. Callers must not modify the dict."""
        return self._keys if self._is_fresh() else self._refresh(force=False)

    def get_key(self, kid: str) -> RSAPublicKey | None:
        """The key for ``kid``, or None if identity does not publish it (even after a refetch)."""
        keys = self.current_keys()
        if kid in keys:
            return keys[kid]
        return self._refresh(force=True).get(kid)

    def _is_fresh(self) -> bool:
        fetched_at = self._fetched_at
        return fetched_at is not None and self.clock() - fetched_at < _conf("JWKS_CACHE_SECONDS")

    def _refresh(self, *, force: bool) -> dict[str, RSAPublicKey]:
        """Fetch unless another thread just did, or the rate limit says wait."""
        with self._lock:
            if not force and self._is_fresh():
                return self._keys
            spacing = (
                _conf("JWKS_MIN_REFETCH_SECONDS") if self._fetched_at is not None else NO_KEYS_REFETCH_SECONDS
            )
            if self.clock() - self._attempted_at < spacing:
                return self._require_keys()
            self._attempted_at = self.clock()
            try:
                self._keys = fetch_jwks(_conf("JWKS_URL"), _conf("JWKS_TIMEOUT_SECONDS"))
                self._fetched_at = self.clock()
            except Exception as exc:  # any failure: keep what we have and say so
                logger.warning("JWKS fetch failed, serving %d cached keys: %s", len(self._keys), exc)
            return self._require_keys()

    def _require_keys(self) -> dict[str, RSAPublicKey]:
        if self._fetched_at is None:
            raise JWKSUnavailable("identity's signing keys are not available")
        return self._keys


def fetch_jwks(url: str, timeout: float) -> dict[str, RSAPublicKey]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        document = json.loads(response.read(MAX_JWKS_BYTES))
    return parse_jwks(document)


def parse_jwks(document: Any) -> dict[str, RSAPublicKey]:
    """Only RSA signing keys with a ``kid``; anything else in the set is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    allowed_algs = set(_conf("ALGORITHMS"))
    keys: dict[str, RSAPublicKey] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or jwk.get("use", "sig") != "sig":
            continue
        if "alg" in jwk and jwk["alg"] not in allowed_algs:
            continue
        try:
            # Only the public members: a JWK carrying "d" would otherwise load as a private key.
            key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": jwk.get("n"), "e": jwk.get("e")})
        except (InvalidKeyError, TypeError, ValueError):
            logger.warning("skipping malformed JWK %r", kid)
            continue
        if isinstance(key, RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
            keys[kid] = key
    return keys


def _conf(name: str) -> Any:
    return settings.SERVICEKIT["JWT"][name]


jwks_cache = JWKSCache()


def warm_up(cache: JWKSCache | None = None, *, within_seconds: float = 60.0) -> bool:
    """Fetch identity's keys before a request needs them: a web worker that has none answers
    every token with a 503 until a fetch succeeds, and the first request would otherwise pay
    for the fetch (or fail it, when identity answers slowly at that moment). Tries every
    ``NO_KEYS_REFETCH_SECONDS`` for ``within_seconds``; True once keys are cached."""
    cache = cache or jwks_cache
    deadline = time.monotonic() + within_seconds
    while True:
        try:
            cache.current_keys()
            return True
        except JWKSUnavailable:
            if time.monotonic() >= deadline:
                logger.warning("no JWKS after %.0f s; the first requests will fetch it", within_seconds)
                return False
            time.sleep(NO_KEYS_REFETCH_SECONDS)


def warm_up_in_background(within_seconds: float = 60.0) -> threading.Thread:
    """:func:`warm_up` in a daemon thread (gunicorn's ``post_worker_init``: the worker serves
    requests meanwhile, and a request that comes first fetches as before)."""
    thread = threading.Thread(
        target=warm_up, kwargs={"within_seconds": within_seconds}, name="jwks-warm-up", daemon=True
    )
    thread.start()
    return thread
