"""Names a client may upload, validated before any path is built from them.

An OSTree object is ``<64 lower-case hex>.<filez|dirtree|dirmeta|commit>`` and lands at
``objects/<first 2 hex>/<rest>``; a static-delta part is ``<43>[-<43>].<superblock|N>.delta``
(OSTree's modified base64, ``_`` for ``/``) and lands at ``deltas/<first 2>/<rest>/<part>``.
Nothing else is accepted, so a name can never hold ``/``, ``..`` or a leading dot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

OBJECT_TYPES = ("filez", "dirtree", "dirmeta", "commit")
_OBJECT = re.compile(r"([0-9a-f]{2})([0-9a-f]{62})\.(filez|dirtree|dirmeta|commit)")
_B64 = "[A-Za-z0-9+_]"
_DELTA = re.compile(rf"({_B64}{{2}})({_B64}{{41}}(?:-{_B64}{{43}})?)\.(superblock|[0-9]{{1,6}})\.delta")
_CHECKSUM = re.compile(r"[0-9a-f]{64}")


class UploadKind(StrEnum):
    OBJECT = "object"
    DELTA = "delta"


class InvalidUploadName(ValueError):
    """Not an object or static-delta name (the message quotes it, shortened)."""

    def __init__(self, name: object) -> None:
        shown = repr(name)[:120]
        super().__init__(f"Invalid upload filename {shown}")
        self.name = name


@dataclass(frozen=True, slots=True)
class UploadName:
    name: str
    kind: UploadKind
    path: PurePosixPath  # relative to the repository (or upload area) root

    @property
    def is_metadata(self) -> bool:
        return self.kind == UploadKind.OBJECT and not self.name.endswith(".filez")


def parse_object_name(name: object) -> UploadName:
    """An OSTree object name, or :class:`InvalidUploadName`."""
    match = _OBJECT.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        raise InvalidUploadName(name)
    prefix, rest, type_ = match.groups()
    return UploadName(name, UploadKind.OBJECT, PurePosixPath("objects", prefix, f"{rest}.{type_}"))


def parse_upload_name(name: object) -> UploadName:
    """An object or static-delta part name, or :class:`InvalidUploadName`."""
    if isinstance(name, str) and name.endswith(".delta"):
        match = _DELTA.fullmatch(name)
        if match is None:
            raise InvalidUploadName(name)
        prefix, rest, part = match.groups()
        return UploadName(name, UploadKind.DELTA, PurePosixPath("deltas", prefix, rest, part))
    return parse_object_name(name)


def is_checksum(value: object) -> bool:
    """A commit checksum: 64 lower-case hex digits."""
    return isinstance(value, str) and _CHECKSUM.fullmatch(value) is not None
