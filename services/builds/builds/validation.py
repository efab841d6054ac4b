"""Shapes of the names the builds service accepts, and its one validation error, shared by its
domain apps (each app keeps its own error codes)."""

from __future__ import annotations

import re

from servicekit.envelope.errors import ApplicationError

VALIDATION_ERROR = "validation_error"

# A Flatpak id (app, runtime, extension): dot-separated elements of letters, digits, _ and -,
# none starting with a digit, at least three of them (flatpak refuses fewer), 255 at most.
FLATPAK_ID = re.compile(r"(?=.{1,255}\Z)[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*){2,}")
# What a token prefix or an exact app may name: an id or a part of one (org.example).
ID_PREFIX = re.compile(r"[A-Za-z0-9_.-]{1,255}")
ARCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,31}")
BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
COLLECTION_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
# flat-manager's extra ids: dot-separated, non-empty, alphanumeric elements.
EXTRA_ID = re.compile(r"[A-Za-z0-9]+(\.[A-Za-z0-9]+)*")


def invalid(field: str, message: str, *, code: str = VALIDATION_ERROR) -> ApplicationError:
    """A 400 naming the field, as every validation error of the platform."""
    return ApplicationError(f"Invalid {field}: {message}", code=code, details={field: [message]})


def matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None
