#!/usr/bin/env python3
"""Generate the development JWT signing key once (var/keys/jwt-signing.pem).

Production keys come from the environment or a mounted file, never from here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_PATH = Path(
    os.environ.get(
        "JWT_PRIVATE_KEY_FILE", Path(__file__).resolve().parent.parent / "var" / "keys" / "jwt-signing.pem"
    )
)


def main() -> int:
    if KEY_PATH.exists():
        return 0
    KEY_PATH.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(KEY_PATH, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    print(f"generated development signing key {KEY_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
