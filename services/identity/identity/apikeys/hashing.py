"""Generating, parsing and hashing ``<prefix>.<secret>`` keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

PREFIX_MARKER = "ik_"  # recognisable by secret scanners and people
KEY_PATTERN = re.compile(r"^(ik_[a-f0-9]{16})\.([A-Za-z0-9_-]{43})$")


def generate_prefix() -> str:
    return f"{PREFIX_MARKER}{secrets.token_hex(8)}"


def generate_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, 43 url-safe characters


def _hash_key() -> bytes:
    configured = settings.IDENTITY["API_KEY_HASH_KEY"]
    if configured:
        return configured.encode()
    # Derived, not SECRET_KEY itself, so the two uses of the secret never meet.
    return hmac.new(settings.SECRET_KEY.encode(), b"identity.apikeys.hash-key", hashlib.sha256).digest()


def key_hash(raw_key: str) -> str:
    return hmac.new(_hash_key(), raw_key.encode(), hashlib.sha256).hexdigest()


def parse(raw_key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    match = KEY_PATTERN.match(raw_key or "")
    return match.group(1) if match else None


def matches(raw_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(raw_key), stored_hash)
