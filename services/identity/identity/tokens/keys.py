"""identity's RS256 signing keys and the JWKS built from them.

Where keys come from (``settings.IDENTITY["SIGNING_KEYS"]``, see the README):
- the active private key: ``JWT_PRIVATE_KEY`` (PEM) or ``JWT_PRIVATE_KEY_FILE``
  (a mounted secret in production, ``var/keys/jwt-signing.pem`` in development);
- public keys that are published and accepted besides it: ``JWT_PREVIOUS_PUBLIC_KEYS`` (a PEM
  bundle) or the ``<key>.previous.pem`` file, plus, while a file-based rotation is staged,
  the ``<key>.next.pem`` key (published before it signs anything).

File-based keys are re-read when a file changes (checked with a stat() at most every
``RELOAD_SECONDS``), so ``manage.py rotate_signing_key`` reaches every running process
without a restart. The ``kid`` is the key's RFC 7638 thumbprint: stable and derivable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "RS256"
MIN_KEY_BITS = 2048
NEW_KEY_BITS = 2048
_PUBLIC_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


# -- keys and JWKs -------------------------------------------------------------------------
def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": ALGORITHM,
        "kid": thumbprint(public_key),
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=NEW_KEY_BITS)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(pem: bytes, *, source: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{source}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
        raise ImproperlyConfigured(f"{source}: an RSA key of at least {MIN_KEY_BITS} bits is required")
    return key


def load_public_keys(bundle: bytes, *, source: str) -> list[rsa.RSAPublicKey]:
    """Every ``PUBLIC KEY`` block of a PEM bundle (other text between blocks is ignored)."""
    keys = []
    for block in _PUBLIC_PEM.findall(bundle):
        key = serialization.load_pem_public_key(block)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ImproperlyConfigured(f"{source}: only RSA public keys are supported")
        keys.append(key)
    return keys


# -- file layout of a file-based key -----------------------------------------------------
def next_key_path(private_key_file: Path) -> Path:
    return private_key_file.with_name(f"{private_key_file.stem}.next.pem")


def previous_keys_path(private_key_file: Path) -> Path:
    return private_key_file.with_name(f"{private_key_file.stem}.previous.pem")


def write_atomically(path: Path, content: bytes, mode: int = 0o600) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# -- the key ring --------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyRing:
    """The signing key and every public key identity publishes (active first)."""

    signing_kid: str
    signing_key: rsa.RSAPrivateKey
    public_keys: dict[str, rsa.RSAPublicKey]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(key) for key in self.public_keys.values()]}

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        return self.public_keys.get(kid)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def build_keyring(conf: dict[str, Any]) -> KeyRing:
    """Read the configured keys (see the module docstring); raises ImproperlyConfigured."""
    key_file = Path(conf["PRIVATE_KEY_FILE"]) if conf.get("PRIVATE_KEY_FILE") else None
    if conf.get("PRIVATE_KEY"):
        signing_key = load_private_key(conf["PRIVATE_KEY"].encode(), source="JWT_PRIVATE_KEY")
    elif key_file is not None:
        pem = _read(key_file)
        if pem is None:
            raise ImproperlyConfigured(
                f"JWT signing key {key_file} is missing: run `make bootstrap` "
                "(scripts/dev_keys.py) or set JWT_PRIVATE_KEY / JWT_PRIVATE_KEY_FILE"
            )
        signing_key = load_private_key(pem, source=str(key_file))
    else:
        raise ImproperlyConfigured("no JWT signing key: set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE")

    published = [signing_key.public_key()]
    if key_file is not None and not conf.get("PRIVATE_KEY"):
        staged = _read(next_key_path(key_file))
        if staged is not None:
            published.append(load_private_key(staged, source="next signing key").public_key())
    for source, bundle in _previous_bundles(conf, key_file):
        published.extend(load_public_keys(bundle, source=source))

    public_keys: dict[str, rsa.RSAPublicKey] = {}
    for key in published:
        public_keys.setdefault(thumbprint(key), key)
    return KeyRing(
        signing_kid=thumbprint(signing_key.public_key()), signing_key=signing_key, public_keys=public_keys
    )


def _previous_bundles(conf: dict[str, Any], key_file: Path | None) -> list[tuple[str, bytes]]:
    if conf.get("PREVIOUS_PUBLIC_KEYS"):
        return [("JWT_PREVIOUS_PUBLIC_KEYS", conf["PREVIOUS_PUBLIC_KEYS"].encode())]
    path = conf.get("PREVIOUS_PUBLIC_KEYS_FILE") or (key_file and previous_keys_path(key_file))
    if not path:
        return []
    bundle = _read(Path(path))
    return [(str(path), bundle)] if bundle else []


def _watched_files(conf: dict[str, Any]) -> list[Path]:
    files = []
    if conf.get("PRIVATE_KEY_FILE"):
        key_file = Path(conf["PRIVATE_KEY_FILE"])
        files += [key_file, next_key_path(key_file), previous_keys_path(key_file)]
    if conf.get("PREVIOUS_PUBLIC_KEYS_FILE"):
        files.append(Path(conf["PREVIOUS_PUBLIC_KEYS_FILE"]))
    return files


def _fingerprint(conf: dict[str, Any]) -> tuple[Any, ...]:
    """Changes whenever the configuration or any key file changes."""
    stats = []
    for path in _watched_files(conf):
        try:
            stat = path.stat()
            stats.append((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except FileNotFoundError:
            stats.append((str(path), None))
    return (conf.get("PRIVATE_KEY"), conf.get("PREVIOUS_PUBLIC_KEYS"), *stats)


class KeyRingCache:
    """The process's key ring, rebuilt when its sources change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keyring: KeyRing | None = None
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked_at = float("-inf")

    def get(self) -> KeyRing:
        conf = settings.IDENTITY["SIGNING_KEYS"]
        keyring = self._keyring
        if keyring is not None and time.monotonic() - self._checked_at < conf["RELOAD_SECONDS"]:
            return keyring
        with self._lock:
            fingerprint = _fingerprint(conf)
            if self._keyring is None or fingerprint != self._fingerprint:
                self._keyring = build_keyring(conf)
                self._fingerprint = fingerprint
            self._checked_at = time.monotonic()
            return self._keyring

    def clear(self) -> None:
        with self._lock:
            self._keyring, self._fingerprint, self._checked_at = None, None, float("-inf")


keyring_cache = KeyRingCache()


def current_keyring() -> KeyRing:
    return keyring_cache.get()
