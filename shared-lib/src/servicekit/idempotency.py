"""The ``Idempotency-Key`` request header, read the one way every retry-safe POST reads it.

A key is 1-255 printable ASCII characters without spaces (a UUID is the usual choice); what a
view does with it (remember it with :func:`body_fingerprint` of the body, replay the first answer) is
the view's service's business. Leading and trailing whitespace is not part of a header's
value (RFC 9110, 5.5) and is dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request

from servicekit.envelope.errors import ApplicationError

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_FIELD = "idempotency_key"
INVALID_KEY_MESSAGE = f"{IDEMPOTENCY_HEADER}: 1-255 printable ASCII characters, no spaces."

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def invalid_idempotency_key() -> ApplicationError:
    """The default refusal: 400 ``validation_error`` naming the field ``idempotency_key``."""
    return ApplicationError(
        INVALID_KEY_MESSAGE, code="validation_error", details={IDEMPOTENCY_KEY_FIELD: [INVALID_KEY_MESSAGE]}
    )


def idempotency_key(
    request: HttpRequest | Request,
    *,
    required: bool = False,
    error: Callable[[], ApplicationError] = invalid_idempotency_key,
) -> str:
    """The request's ``Idempotency-Key``, or ``""`` when it is optional and not sent.

    Raises ``error()`` (by default :func:`invalid_idempotency_key`) for a key that is not 1-255
    printable ASCII characters, and for a missing one when ``required``. A header sent empty
    counts as not sent; one of only whitespace is malformed.
    """
    raw = request.headers.get(IDEMPOTENCY_HEADER, "")
    key = raw.strip()
    if not raw and not required:
        return ""
    if not _KEY.match(key):
        raise error()
    return key


def body_fingerprint(body: Any) -> str:
    """SHA-256 of the canonical JSON of a request body (key order and spacing do not count): what
    a key is remembered with, so the same key with another body is told apart from a retry."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # JSON may carry lone surrogates ("\ud800") that UTF-8 cannot encode; they still count.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
