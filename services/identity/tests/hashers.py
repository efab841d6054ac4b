"""Password hashers for the tests that need to see hashing happen (registration timing)."""

from __future__ import annotations

from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """Counts the passwords it hashes (``calls``), as fast as the suite's default."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


class SlowHasher(PBKDF2PasswordHasher):
    """Slow enough that hashing outweighs everything else a registration does, as in production."""

    algorithm = "slow_pbkdf2"
    iterations = 1_000_000
