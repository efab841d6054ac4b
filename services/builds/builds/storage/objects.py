"""Uploaded objects on disk: written atomically, never overwritten, looked up for
``missing_objects``.

A part is streamed into a temporary file in the upload area's ``incoming/`` directory (same
filesystem) and then hard-linked to its final name: the final name only ever holds a complete
upload, and ``link`` fails instead of replacing when the name exists, so a re-upload (a retried
batch, two concurrent uploads of one object) is a no-op. Checksums are verified by the commit
job (``flatpak build-commit-from --untrusted``), which fails on a corrupted object.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from builds.storage.names import UploadName


class ObjectTooLarge(ValueError):
    def __init__(self, name: str, max_bytes: int) -> None:
        super().__init__(f"{name} is larger than the {max_bytes}-byte limit")
        self.name = name
        self.max_bytes = max_bytes


@dataclass(frozen=True, slots=True)
class StoredPart:
    name: str
    size: int
    created: bool  # False: the object was already there (the upload was a no-op)


def store_part(
    *, area: Path, incoming: Path, upload: UploadName, chunks: Iterable[bytes], max_bytes: int
) -> StoredPart:
    """Store one uploaded part under ``area``; ``chunks`` is always consumed to its end."""
    final = area / upload.path
    if final.exists():
        size = _drain(chunks, upload.name, max_bytes)
        return StoredPart(upload.name, size, created=False)
    incoming.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=incoming, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            size = 0
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise ObjectTooLarge(upload.name, max_bytes)
                out.write(chunk)
            os.fchmod(out.fileno(), 0o644)  # served by nginx, read by the tools
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(temporary, final)
        except FileExistsError:  # a concurrent upload of the same object won
            return StoredPart(upload.name, size, created=False)
        return StoredPart(upload.name, size, created=True)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _drain(chunks: Iterable[bytes], name: str, max_bytes: int) -> int:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise ObjectTooLarge(name, max_bytes)
    return size


def present_in(roots: Iterable[Path], upload: UploadName) -> bool:
    return any((root / upload.path).exists() for root in roots)
