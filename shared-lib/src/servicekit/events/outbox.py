"""The relay's SQL over the outbox table: claim, mark sent, release with backoff, sweep, prune.

Claiming takes pending rows with ``FOR UPDATE SKIP LOCKED`` (so relays never wait for each
other) and keeps each subject's events in order on the wire, even with several relays and
after failures: a row is never claimed while an earlier row of its subject is unsent outside
this claim (in flight at another relay, or waiting out a retry backoff). Two steps do that:

1. Before the ``LIMIT``, rows whose subject is held back are skipped: the subject's first
   unsent row is in flight or not yet available. So a subject in backoff with a long queue
   behind it cannot fill the batch with rows that would all be dropped, which would leave
   the claim empty while other subjects have ready rows.
2. After it, a row is dropped if an earlier unsent row of its subject is not in this claim:
   a row another relay has locked but not yet committed its claim of (``SKIP LOCKED`` passed
   over it, step 1 cannot see it yet), or any other gap step 1 does not catch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from servicekit.events.tables import OUTBOX_TABLE as TABLE


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    type: str
    body: str


# The relay's statements commit without waiting for the WAL flush (one statement, one round
# trip: the setting is local to the statement's own transaction). That is safe because they
# only record progress: if Postgres crashed and lost one, the row would be pending (or in
# flight, then swept) again and published once more, a duplicate the consumer's inbox
# absorbs. The outbox row itself was committed durably by its producer.
ASYNC_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"

CLAIM_SQL = f"""
WITH candidate AS (
    SELECT pending.id, pending.subject FROM {TABLE} AS pending
    WHERE pending.sent_at IS NULL AND pending.claimed_until IS NULL AND pending.available_at <= now()
      AND NOT EXISTS (  -- the subject is held back: its first unsent row is in flight or backing off
          SELECT 1 FROM (
              SELECT head.claimed_until, head.available_at FROM {TABLE} AS head
              WHERE head.subject = pending.subject AND head.sent_at IS NULL
              ORDER BY head.id
              LIMIT 1
          ) AS first_unsent
          WHERE first_unsent.claimed_until IS NOT NULL OR first_unsent.available_at > now()
      )
    ORDER BY pending.id
    LIMIT %(limit)s
    FOR UPDATE OF pending SKIP LOCKED
), blocker AS (
    SELECT earlier.subject, min(earlier.id) AS first_id
    FROM {TABLE} AS earlier
    WHERE earlier.sent_at IS NULL
      AND earlier.subject IN (SELECT subject FROM candidate)
      AND earlier.id < (SELECT max(id) FROM candidate)
      AND earlier.id NOT IN (SELECT id FROM candidate)
    GROUP BY earlier.subject
), ready AS (
    SELECT candidate.id FROM candidate
    LEFT JOIN blocker ON blocker.subject = candidate.subject
    WHERE blocker.first_id IS NULL OR candidate.id < blocker.first_id
)
UPDATE {TABLE} AS claimed
SET claimed_until = now() + make_interval(secs => %(lease)s), attempts = claimed.attempts + 1
FROM ready, {ASYNC_COMMIT}
WHERE claimed.id = ready.id
RETURNING claimed.id, claimed.event_id::text, claimed.type, claimed.body
"""


def claim(limit: int, lease_seconds: float) -> list[Claimed]:
    """Claim up to ``limit`` publishable rows for ``lease_seconds``, in publication order."""
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, {"limit": limit, "lease": lease_seconds})
        rows = cursor.fetchall()
    return sorted((Claimed(*row) for row in rows), key=lambda row: row.id)


# What a sensitive event's payload becomes once it is published (the envelope's other fields,
# type, ids and subject included, stay as they were).
REDACTED_DATA = {"redacted": "sensitive payload removed from the outbox once published"}


def mark_sent(ids: list[int], redact: list[int] | None = None) -> None:
    """Mark rows sent; the payload of those in ``redact`` (sensitive events) is blanked."""
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET sent_at = now(), claimed_until = NULL, "
                "body = CASE WHEN id = ANY(%(redact)s) "
                "THEN jsonb_set(body::jsonb, '{data}', %(redacted)s::jsonb)::text ELSE body END "
                f"FROM {ASYNC_COMMIT} WHERE id = ANY(%(ids)s)",
                {"ids": ids, "redact": redact or [], "redacted": json.dumps(REDACTED_DATA)},
            )


def release(ids: list[int], error: str, *, base_seconds: float, max_seconds: float) -> None:
    """Give rows back for a later attempt, after an exponential backoff on their attempt count."""
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET claimed_until = NULL, last_error = %(error)s, "
                "available_at = now() + make_interval(secs => "
                "least(%(max)s, %(base)s * power(2, greatest(attempts - 1, 0)))) "
                f"FROM {ASYNC_COMMIT} WHERE id = ANY(%(ids)s) AND sent_at IS NULL",
                {"ids": ids, "error": error[:2000], "base": base_seconds, "max": max_seconds},
            )


def sweep() -> int:
    """Return rows whose lease expired (their relay died or hung) to the pending pool."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET claimed_until = NULL, last_error = 'lease expired: relay died or stalled' "
            "WHERE sent_at IS NULL AND claimed_until < now()"
        )
        return cursor.rowcount


def prune(retention_hours: float, chunk: int = 5000) -> int:
    """Delete rows sent more than ``retention_hours`` ago, in chunks; returns how many."""
    deleted = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE id IN (SELECT id FROM {TABLE} "
                "WHERE sent_at < now() - make_interval(secs => %s) LIMIT %s)",
                [retention_hours * 3600, chunk],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < chunk:
                return deleted


def vacuum() -> None:
    """Clear the dead row versions the relay leaves behind (each row is updated twice), so
    the claim's index scans stay short even where autovacuum is off or lagging. Skips the
    table if another relay is vacuuming it."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE, SKIP_LOCKED) {TABLE}")


def seconds_until_due() -> float | None:
    """Seconds until the next row in backoff becomes available (None: none is waiting).

    Rows coming out of a backoff send no ``NOTIFY``; an idle relay sleeps until then."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT extract(epoch FROM min(available_at) - now()) FROM {TABLE} "
            "WHERE sent_at IS NULL AND claimed_until IS NULL AND available_at > now()"
        )
        due = cursor.fetchone()[0]
    return None if due is None else max(float(due), 0.0)
