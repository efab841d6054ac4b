"""A ``multipart/mixed`` upload batch as the protocol wants it: one ``application/octet-stream``
part per object with ``Content-Disposition: attachment; filename="<name>"`` (no ``name=``,
it is not a form). Read lazily from the files, with a known length (so ``Content-Length``,
not chunked), and reporting progress as the bytes go out."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

from builds_client.local_repo import LocalObject


class MultipartBody:
    # A plain reader, not an io class: requests would take io's tell() for a position at the end.
    def __init__(self, objects: list[LocalObject], on_bytes: Callable[[int], None] = lambda n: None) -> None:
        self.boundary = uuid.uuid4().hex
        self._objects = objects
        self._on_bytes = on_bytes
        self._length = sum(len(head) + item.size + 2 for head, item in self._heads()) + len(self._tail())
        self._chunks = self._generate()
        self._buffer = b""
        self._position = 0

    @property
    def content_type(self) -> str:
        return f"multipart/mixed; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._length

    def _heads(self) -> Iterator[tuple[bytes, LocalObject]]:
        for item in self._objects:
            head = (
                f"--{self.boundary}\r\n"
                "Content-Type: application/octet-stream\r\n"
                f'Content-Disposition: attachment; filename="{item.name}"\r\n\r\n'
            ).encode()
            yield head, item

    def _tail(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    def _generate(self) -> Iterator[bytes]:
        for head, item in self._heads():
            yield head
            with item.path.open("rb") as source:
                while chunk := source.read(256 * 1024):
                    self._on_bytes(len(chunk))
                    yield chunk
            yield b"\r\n"
        yield self._tail()

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for -1). The sender asks for small blocks, so
        a block is cut from the current chunk without copying the rest of it."""
        if size is None or size < 0:
            rest = self._buffer[self._position :] + b"".join(self._chunks)
            self._buffer, self._position = b"", 0
            return rest
        while self._position >= len(self._buffer):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer, self._position = chunk, 0
        block = self._buffer[self._position : self._position + size]
        self._position += len(block)
        return block


def batches(objects: list[LocalObject], limit: int) -> Iterator[list[LocalObject]]:
    """Groups of about ``limit`` bytes (an object larger than that goes alone)."""
    batch: list[LocalObject] = []
    size = 0
    for item in objects:
        if batch and size + item.size > limit:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch
