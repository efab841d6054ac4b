"""``manage.py rotate_signing_key``: replace the file-based JWT signing key without downtime.

1. A new key is written next to the active one (``<key>.next.pem``): every identity
   process publishes it in the JWKS within ``JWT_KEY_RELOAD_SECONDS``, but nothing is
   signed with it yet.
2. After ``--publish-seconds`` (by default long enough for every verifier to be able to
   refetch the JWKS, ``JWKS_MIN_REFETCH_SECONDS``, plus the reload interval), the active
   key's public half moves to ``<key>.previous.pem`` and the new key becomes active.
   Tokens signed with the old key keep verifying; new ones carry the new ``kid``.

Keys given in the environment (``JWT_PRIVATE_KEY``) are rotated by a deployment instead:
see services/identity/README.md.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from identity.tokens import keys


class Command(BaseCommand):
    help = "Rotate the file-based JWT signing key: publish a new key, wait, then sign with it."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--publish-seconds",
            type=float,
            default=None,
            help="How long the new key is published before it signs (default: JWKS refetch interval + reload).",
        )
        parser.add_argument(
            "--keep-previous",
            type=int,
            default=1,
            help="How many earlier public keys stay published (refresh tokens they signed keep working).",
        )

    def handle(self, *args, publish_seconds: float | None, keep_previous: int, **options) -> None:
        conf = settings.IDENTITY["SIGNING_KEYS"]
        if conf["PRIVATE_KEY"] or not conf["PRIVATE_KEY_FILE"]:
            raise CommandError(
                "the signing key comes from JWT_PRIVATE_KEY: rotate it by deployment (see the identity README)"
            )
        if keep_previous < 1:
            raise CommandError(
                "--keep-previous must be at least 1: tokens signed a moment ago must still verify"
            )
        key_file = Path(conf["PRIVATE_KEY_FILE"])
        if publish_seconds is None:
            publish_seconds = (
                settings.SERVICEKIT["JWT"]["JWKS_MIN_REFETCH_SECONDS"] + 2 * conf["RELOAD_SECONDS"] + 1
            )

        with _rotation_lock(key_file):
            current = keys.load_private_key(key_file.read_bytes(), source=str(key_file))
            staged = self._stage(key_file)
            self.stdout.write(
                f"published next key {keys.thumbprint(staged.public_key())}; "
                f"signing with it in {publish_seconds:.0f}s"
            )
            time.sleep(publish_seconds)
            self._promote(key_file, current=current, keep_previous=keep_previous)
        self.stdout.write(
            f"active key is now {keys.thumbprint(staged.public_key())}; "
            f"{keys.thumbprint(current.public_key())} stays published as the previous key"
        )

    def _stage(self, key_file: Path):
        """The staged key (an interrupted rotation's key is reused, never a second one)."""
        next_file = keys.next_key_path(key_file)
        if next_file.exists():
            return keys.load_private_key(next_file.read_bytes(), source=str(next_file))
        staged = keys.generate_private_key()
        keys.write_atomically(next_file, keys.private_pem(staged))
        return staged

    def _promote(self, key_file: Path, *, current, keep_previous: int) -> None:
        previous_file = keys.previous_keys_path(key_file)
        older = (
            keys.load_public_keys(previous_file.read_bytes(), source=str(previous_file))
            if previous_file.exists()
            else []
        )
        kept = [current.public_key(), *older][:keep_previous]
        # Previous first, then the switch: at no moment is a key that signed tokens unpublished.
        keys.write_atomically(previous_file, b"".join(keys.public_pem(key) for key in kept), mode=0o644)
        keys.next_key_path(key_file).replace(key_file)


@contextmanager
def _rotation_lock(key_file: Path) -> Iterator[None]:
    """One rotation at a time (an flock beside the key)."""
    with open(key_file.with_name(f".{key_file.name}.rotate.lock"), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandError("another rotation is in progress") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
