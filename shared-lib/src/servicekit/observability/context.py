"""The current request id, visible to logs, envelopes and event publishing."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Accept ids from the gateway or a client only if they are short and harmless in logs.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(candidate: str | None) -> str:
    if candidate and _VALID_ID.match(candidate):
        return candidate
    return new_request_id()


def get_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_scope(value: str | None) -> Iterator[str]:
    """Run a block (a task, an event handler) under a given request id."""
    rid = clean_request_id(value)
    token = set_request_id(rid)
    try:
        yield rid
    finally:
        reset_request_id(token)
