"""The ``Idempotency-Key`` request header, read the one way every retry-safe POST reads it.

A key is 1-255 printable ASCII characters without spaces (a UUID is the usual choice); what a
view does with it (remember it with :func:`body_fingerprint` of the body, replay the first answer) is
the view's service's business. Leading and trailing whitespace is not part of a header's
value (RFC 9110, 5.5) and is dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from servicekit.envelope.errors import ApplicationError

logger = logging.getLogger(__name__)

KeyRow = TypeVar("KeyRow", bound=models.Model)

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


def claim_key(
    model: type[KeyRow],
    *,
    user_id: Any,
    key: str,
    fingerprint: str,
    defaults: Mapping[str, Any] | None = None,
    attempts: int = 3,
) -> tuple[KeyRow, bool]:
    """Claim ``key`` for ``user_id`` in ``model`` (fields ``user_id``, ``key``, ``fingerprint``,
    unique per user and key): ``(row, True)`` when this request inserted it, ``(row, False)``
    with the row of the earlier request that holds it. The caller compares ``row.fingerprint``
    with its own (another body: its 409) and replays what the row recorded.

    Call it first in the transaction that does the work: a concurrent request with the same key
    waits on the unique index until that transaction ends, then reads the winner's row; a
    request that fails rolls its row back, leaving the key unused. A key pruned between our
    failed insert and our read is free again, and the next attempt inserts it."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                row = model._default_manager.create(
                    user_id=user_id, key=key, fingerprint=fingerprint, **(defaults or {})
                )
                return row, True
        except IntegrityError:
            earlier = _earlier_row(model, user_id=user_id, key=key)
            if earlier is not None:
                return earlier, False
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _earlier_row(model: type[KeyRow], *, user_id: Any, key: str) -> KeyRow | None:
    """The row holding the key, or None when it was pruned since our insert failed."""
    return model._default_manager.filter(user_id=user_id, key=key).first()


def prune_keys(
    model: type[models.Model],
    *,
    older_than_hours: float,
    now: datetime | None = None,
    batch_size: int = 1000,
) -> int:
    """Delete ``model``'s key rows created more than ``older_than_hours`` ago (0 or less: keep
    them all), in batches of ``batch_size``, each its own short transaction so the table is never
    locked for long. Returns how many went; a pruned key sent again is simply new."""
    if older_than_hours <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(hours=older_than_hours)
    rows = model._default_manager
    deleted = 0
    while True:
        batch = list(
            rows.filter(created_at__lt=cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            break
        with transaction.atomic():
            deleted += rows.filter(pk__in=batch, created_at__lt=cutoff).delete()[0]
        if len(batch) < batch_size:
            break
    if deleted:
        logger.info("pruned %d %s older than %gh", deleted, model._meta.verbose_name_plural, older_than_hours)
    return deleted
