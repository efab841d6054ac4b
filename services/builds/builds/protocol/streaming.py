"""Uploads stream from the ASGI server to the upload view, never spooled first.

Django's ``ASGIHandler`` reads a whole request body into a temporary file before the view runs:
for a 2 GB batch of objects that is a second copy on disk (after nginx, which streams) and the
whole upload's time before the first byte is stored. For the protocol's upload route,
:class:`StreamingUploadsASGIHandler` gives the request a :class:`ReceivedBody` instead: a
file-like object whose ``read`` (called by the sync view, in its worker thread) takes the
``http.request`` messages a task on the event loop reads ahead (a bounded amount), so each
chunk goes from the socket through the multipart reader straight into the object's file in the
upload area. The body's size limit
(``BUILDS_UPLOAD_MAX_BODY_BYTES``) is enforced as it is read: a declared Content-Length above
it is refused before any byte is read, and a body (chunked or lying) growing past it stops
there. Every other route keeps Django's handling.

Django listens for the client's disconnect while the view runs, by calling ``receive``; for a
streamed request that listener waits until the view has read the whole body (the two would
otherwise take each other's messages). A client that disconnects mid-body ends the body early:
the multipart reader then reports a body cut short and nothing of the unfinished part is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections import deque
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from rest_framework import status

from servicekit.envelope.errors import ApplicationError

STREAMED_PATHS = re.compile(r"/flat-manager/api/v1/build/[1-9][0-9]{0,17}/upload")
_SCOPE_KEY = "builds.received_body"
_EMPTY_BODY = {"type": "http.request", "body": b"", "more_body": False}


class BodyTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "request_too_large"


class ReceivedBody:
    """A request body read from the ASGI ``receive`` channel as the view asks for it.

    Once the view first reads, a task on the event loop keeps reading ahead, at most
    ``READ_AHEAD_BYTES`` beyond what the view took: the view's ``read`` takes everything that
    arrived meanwhile in one go (one wake-up per batch of chunks, not per chunk, however busy
    the machine), and the server stops reading the socket while the view is behind.
    """

    READ_AHEAD_BYTES = 1 << 20

    def __init__(
        self,
        receive: Any,
        loop: asyncio.AbstractEventLoop,
        *,
        max_bytes: int,
        content_length: int | None,
    ) -> None:
        self._receive, self._loop = receive, loop
        self._max_bytes, self._content_length = max_bytes, content_length
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._error: Exception | None = None
        self._done = False  # nothing more will arrive: the body's end, a disconnect, or the limit
        self._available = threading.Condition()
        self._room = asyncio.Event()  # the view took enough: read further (loop side)
        self._room.set()
        self._pump: asyncio.Task[None] | None = None
        self.bytes_read = 0
        self.disconnected = False
        self.finished = asyncio.Event()  # set (on the loop) once the last body message arrived

    # -- the view's side (a worker thread) ------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        if self._content_length is not None and self._content_length > self._max_bytes:
            raise BodyTooLarge(self._too_large())
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(self.READ_AHEAD_BYTES), b""))
        if self._pump is None:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result()
        with self._available:
            while not self._chunks and not self._done:
                self._available.wait()
            if not self._chunks and self._error is not None:
                raise self._error
            out = self._take(size)
            if self._buffered < self.READ_AHEAD_BYTES:
                self._loop.call_soon_threadsafe(self._room.set)
            return out

    def _take(self, size: int) -> bytes:
        parts, taken = [], 0
        while self._chunks and taken < size:
            chunk = self._chunks.popleft()
            if taken + len(chunk) > size:
                chunk, rest = chunk[: size - taken], chunk[size - taken :]
                self._chunks.appendleft(rest)
            parts.append(chunk)
            taken += len(chunk)
        self._buffered -= taken
        return b"".join(parts)

    def close(self) -> None:
        with self._available:
            self._chunks.clear()
            self._buffered = 0

    def _too_large(self) -> str:
        return f"The request body is larger than {self._max_bytes} bytes"

    # -- the event loop's side -------------------------------------------------------------

    async def _start(self) -> None:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._read_ahead())

    async def _read_ahead(self) -> None:
        try:
            while True:
                await self._room.wait()
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    self.disconnected = True
                    self.finished.set()
                    self._end()
                    return
                chunk = message.get("body", b"")
                more = message.get("more_body", False)
                self.bytes_read += len(chunk)
                if self.bytes_read > self._max_bytes:
                    # The rest stays unread; the disconnect listener keeps waiting (it is
                    # cancelled once the answer is sent).
                    self._end(BodyTooLarge(self._too_large()))
                    return
                if not more:
                    self.finished.set()
                with self._available:
                    if chunk:
                        self._chunks.append(chunk)
                        self._buffered += len(chunk)
                        if self._buffered >= self.READ_AHEAD_BYTES:
                            self._room.clear()
                    self._done = not more
                    self._available.notify_all()
                if not more:
                    return
        finally:
            self._end()

    def _end(self, error: Exception | None = None) -> None:
        with self._available:
            if not self._done and error is not None:
                self._error = error
            self._done = True
            self._available.notify_all()

    async def stop(self) -> None:
        """After the answer: stop reading ahead (a view that did not read the whole body)."""
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump

    async def receive_after_body(self) -> dict[str, Any]:
        """Django's disconnect listener's ``receive``: only once the body has been read."""
        await self.finished.wait()
        if self.disconnected:
            return {"type": "http.disconnect"}
        return await self._receive()


class StreamingUploadsASGIHandler(ASGIHandler):
    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("method") != "POST" or not STREAMED_PATHS.fullmatch(scope.get("path", "")):
            await super().handle(scope, receive, send)
            return
        body = ReceivedBody(
            receive,
            asyncio.get_running_loop(),
            max_bytes=settings.BUILDS["UPLOAD_MAX_BODY_BYTES"],
            content_length=_content_length(scope),
        )
        first = True

        async def handler_receive() -> dict[str, Any]:
            nonlocal first
            if first:  # what Django's read_body() spools: nothing
                first = False
                return _EMPTY_BODY
            return await body.receive_after_body()

        try:
            await super().handle({**scope, _SCOPE_KEY: body}, handler_receive, send)
        finally:
            await body.stop()

    def create_request(self, scope: dict[str, Any], body_file: Any) -> Any:
        body = scope.get(_SCOPE_KEY)
        if body is not None:
            body_file.close()
            body_file = body
        return super().create_request(scope, body_file)


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
