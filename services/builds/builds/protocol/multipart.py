"""A streaming reader of ``multipart/mixed`` bodies, as flat-manager's clients upload objects.

Django's own parser reads ``multipart/form-data`` parts by their ``name``; these parts have only
``Content-Disposition: attachment; filename="..."``. :func:`read_parts` yields each part's
filename with an iterator of its bytes, reading the request in small chunks, so a batch of any
size passes through a bounded buffer straight to the part's file, never whole into memory.
Each part's bytes must be consumed (or are skipped) before the next part is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from django.utils.http import parse_header_parameters

CHUNK_BYTES = 256 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_BOUNDARY_CHARS = 70  # RFC 2046


class MalformedMultipart(ValueError):
    pass


class Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/mixed`` Content-Type, or :class:`MalformedMultipart`."""
    media_type, params = parse_header_parameters(content_type or "")
    boundary = params.get("boundary", "")
    if media_type != "multipart/mixed":
        raise MalformedMultipart(f"Expected a multipart/mixed body, not {media_type or 'none'}")
    if not 1 <= len(boundary) <= MAX_BOUNDARY_CHARS or not boundary.isascii():
        raise MalformedMultipart("The multipart body has no usable boundary")
    return boundary.encode()


class _Buffer:
    def __init__(self, stream: Readable, chunk_bytes: int) -> None:
        self.stream, self.chunk_bytes = stream, chunk_bytes
        # A CRLF before the first delimiter makes every delimiter "\r\n--boundary".
        self.data = b"\r\n"
        self.eof = False

    def fill(self) -> bool:
        """Read another chunk; False at the end of the body."""
        if self.eof:
            return False
        chunk = self.stream.read(self.chunk_bytes)
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True


def read_parts(
    stream: Readable, boundary: bytes, *, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[str | None, Iterator[bytes]]]:
    """``(filename, chunks)`` of each part in order; filename None when the part names none."""
    buffer = _Buffer(stream, chunk_bytes)
    delimiter = b"\r\n--" + boundary
    _skip_to(buffer, delimiter)  # the preamble
    while True:
        while len(buffer.data) < 2 and buffer.fill():
            pass
        if buffer.data.startswith(b"--"):
            return  # the close delimiter: the epilogue is ignored
        headers = _read_headers(buffer)
        _, params = parse_header_parameters(headers.get("content-disposition", ""))
        body = _part_body(buffer, delimiter)
        yield params.get("filename"), body
        for _ in body:  # what the consumer left unread
            pass


def _skip_to(buffer: _Buffer, delimiter: bytes) -> None:
    while True:
        index = buffer.data.find(delimiter)
        if index >= 0:
            buffer.data = buffer.data[index + len(delimiter) :]
            return
        buffer.data = buffer.data[-(len(delimiter) - 1) :]
        if not buffer.fill():
            raise MalformedMultipart("The multipart body has no parts")


def _read_headers(buffer: _Buffer) -> dict[str, str]:
    while True:
        end = buffer.data.find(b"\r\n\r\n")
        if end >= 0:
            break
        if len(buffer.data) > MAX_HEADER_BYTES:
            raise MalformedMultipart("A part's headers are too long")
        if not buffer.fill():
            raise MalformedMultipart("The multipart body ends inside a part's headers")
    block, buffer.data = buffer.data[:end], buffer.data[end + 4 :]
    lines = block.decode("latin-1").split("\r\n")
    # The rest of the delimiter line (transport padding) comes first.
    if lines[0].strip():
        raise MalformedMultipart("Garbage after a multipart delimiter")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise MalformedMultipart("A malformed part header")
        headers[name.strip().lower()] = value.strip()
    return headers


def _part_body(buffer: _Buffer, delimiter: bytes) -> Iterator[bytes]:
    keep = len(delimiter) - 1  # a delimiter may straddle two reads
    while True:
        index = buffer.data.find(delimiter)
        if index >= 0:
            if index:
                yield buffer.data[:index]
            buffer.data = buffer.data[index + len(delimiter) :]
            return
        if len(buffer.data) > keep:
            out, buffer.data = buffer.data[:-keep], buffer.data[-keep:]
            yield out
        if not buffer.fill():
            raise MalformedMultipart("The multipart body ends inside a part")
