"""Moved to servicekit (messaging's tests use it too); kept so catalog's imports still work."""

from servicekit.testing.concurrency import run_concurrently

__all__ = ["run_concurrently"]
