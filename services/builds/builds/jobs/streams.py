"""Following a job's log live: a Server-Sent-Events stream written on the event loop.

A follower holds no worker and no database connection of its own while it waits. Each web
process (each event loop) keeps:

- one connection that ``LISTEN``s on ``builds_job_log``: ``job_log`` notifies ``<job>:<length>``
  with every append, and the listener wakes the followers of that job;
- a small pool of async connections the followers read new lines through (a few queries per
  appended batch, not a connection per follower).

A follower also wakes every ``HEARTBEAT_SECONDS`` (a comment line keeps proxies from closing an
idle stream, and it re-reads the log, so a notification lost while the listener reconnected
costs a delay, never a line). The stream ends with an ``end`` event once the job has finished
and everything before has been sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from django.db import connections
from django.http import StreamingHttpResponse
from psycopg_pool import AsyncConnectionPool

from builds.jobs.models import FINISHED, Job, JobLogLine, JobStatus
from builds.jobs.selectors import log_text_since
from builds.jobs.services import NOTIFY_CHANNEL

logger = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
HEARTBEAT_SECONDS = 15.0
RECONNECT_SECONDS = 1.0
READ_POOL_SIZE = 4
# One event carries at most this many characters; a longer backlog is sent in several.
MAX_EVENT_CHARS = 256 * 1024


def connection_params() -> dict[str, Any]:
    """psycopg connection arguments of the service's database (the test database in tests)."""
    params = connections["default"].get_connection_params()
    for sync_only in ("cursor_factory", "context", "pool", "prepare_threshold"):
        params.pop(sync_only, None)
    return params


class LogFollowers:
    """The followers of each job, woken by the process's listener (one per event loop)."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None
        self.pool = AsyncConnectionPool(
            kwargs=connection_params(), min_size=1, max_size=READ_POOL_SIZE, open=False
        )
        self._pool_opened = False

    async def open(self) -> None:
        if not self._pool_opened:
            self._pool_opened = True
            await self.pool.open()
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    def subscribe(self, job_id: int) -> asyncio.Event:
        event = asyncio.Event()
        self._waiting.setdefault(job_id, set()).add(event)
        return event

    def unsubscribe(self, job_id: int, event: asyncio.Event) -> None:
        waiting = self._waiting.get(job_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[job_id]

    def wake(self, job_id: int | None = None) -> None:
        """Wake the followers of ``job_id`` (everyone when None)."""
        groups = self._waiting.values() if job_id is None else [self._waiting.get(job_id, ())]
        for group in groups:
            for event in group:
                event.set()

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    **connection_params(), autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.wake()  # lines appended while we were not listening
                    async for notify in conn.notifies():
                        job, _, _length = notify.payload.partition(":")
                        if job.isdigit():
                            self.wake(int(job))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: followers fall back to heartbeats
                logger.warning("job log listener lost its connection (%s); reconnecting", error)
                await asyncio.sleep(RECONNECT_SECONDS)


_followers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LogFollowers] = weakref.WeakKeyDictionary()


async def followers() -> LogFollowers:
    loop = asyncio.get_running_loop()
    current = _followers.get(loop)
    if current is None:
        current = _followers[loop] = LogFollowers()
    await current.open()
    return current


async def read_since(pool: AsyncConnectionPool, job_id: int, offset: int) -> tuple[str, int | None]:
    """The log after ``offset`` and the job's status (None: no such job)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(f"SELECT status FROM {Job._meta.db_table} WHERE id = %s", [job_id])
        row = await cursor.fetchone()
        cursor = await conn.execute(
            f"SELECT end_offset, text FROM {JobLogLine._meta.db_table} "
            "WHERE job_id = %s AND end_offset > %s ORDER BY end_offset",
            [job_id, offset],
        )
        lines = await cursor.fetchall()
    return log_text_since(lines, offset), (row[0] if row else None)


def sse(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One event; ``data`` as JSON on one line (newlines in log text stay inside the string)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def log_events(job_id: int, offset: int) -> AsyncIterator[bytes]:
    """``log`` events (``{"log", "offset"}``, id = the offset after them) until the job has
    finished, then one ``end`` event (``{"status", "offset"}``)."""
    group = await followers()
    woken = group.subscribe(job_id)
    try:
        yield f"retry: {int(RECONNECT_SECONDS * 1000)}\n\n".encode()
        while True:
            woken.clear()  # before reading: a line appended during the read wakes us again
            text, status = await read_since(group.pool, job_id, offset)
            while text:
                chunk, text = text[:MAX_EVENT_CHARS], text[MAX_EVENT_CHARS:]
                offset += len(chunk)
                yield sse("log", {"log": chunk, "offset": offset}, event_id=offset)
            if status is None or status in FINISHED:
                label = JobStatus(status).label if status is not None else "missing"
                yield sse("end", {"status": label, "offset": offset}, event_id=offset)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), HEARTBEAT_SECONDS)
            if not woken.is_set():
                yield b": keep-alive\n\n"
    finally:
        group.unsubscribe(job_id, woken)


def follow_log(*, job_id: int, offset: int) -> StreamingHttpResponse:
    response = StreamingHttpResponse(log_events(job_id, offset), content_type=EVENT_STREAM)
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx passes each event on at once
    return response
