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
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


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
