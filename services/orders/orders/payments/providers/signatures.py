"""HMAC-SHA256 webhook signatures: ``t=<unix seconds>,v1=<hex hmac of "<t>.<body>">``.

The timestamp is signed with the body, so a captured request cannot be replayed once it
is older than the tolerance; within the tolerance, replays are caught by the event id.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from orders.payments.providers.base import InvalidWebhook

SCHEME = "v1"
_MAX_TIMESTAMP_DIGITS = 12


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The signature header value for ``body`` (used by the test provider and tests)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},{SCHEME}={_digest(body, secret, timestamp)}"


def verify(
    body: bytes, header: str | None, *, secret: str, tolerance_seconds: int, now: float | None = None
) -> None:
    """Raise :class:`InvalidWebhook` unless ``header`` signs ``body`` recently enough."""
    if not header:
        raise InvalidWebhook("the signature header is missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            # Unix seconds: a few digits, nothing a float cannot hold (t=9999…9 is refused here,
            # not by an OverflowError when it is compared with the clock).
            if not (value.isascii() and value.isdigit() and len(value) <= _MAX_TIMESTAMP_DIGITS):
                raise InvalidWebhook("the signature timestamp is not a number")
            timestamp = int(value)
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidWebhook("the signature header is malformed")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise InvalidWebhook("the signature timestamp is outside the tolerance")
    expected = _digest(body, secret, timestamp)
    # compare_digest refuses str with non-ASCII characters (TypeError): compare bytes.
    if not any(
        hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "surrogateescape"))
        for candidate in signatures
    ):
        raise InvalidWebhook("the signature does not match")


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
