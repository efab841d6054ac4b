"""The streaming multipart/mixed reader: parts split at any read boundary, bounded reads."""

from __future__ import annotations

import io

import pytest

from builds.protocol.multipart import MalformedMultipart, boundary_of, read_parts
from tests.live.client import multipart_mixed

PARTS = [
    ("a" * 64 + ".commit", b"first\r\n--not-the-boundary\r\n"),
    ("b" * 64 + ".filez", b""),
    ("c" * 64 + ".dirtree", bytes(range(256)) * 40),
]


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the reader never asks for the whole body"
        chunk = super().read(size)
        self.largest_read = max(self.largest_read, len(chunk))
        return chunk


def _read(data: bytes, boundary: bytes, chunk_bytes: int) -> list[tuple[str | None, bytes]]:
    return [
        (name, b"".join(chunks))
        for name, chunks in read_parts(io.BytesIO(data), boundary, chunk_bytes=chunk_bytes)
    ]


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 64, 1000, 1 << 20])
def test_parts_are_read_whole_whatever_the_read_size(chunk_bytes):
    body = b"preamble\r\n" + multipart_mixed(PARTS, "bnd-42") + b"epilogue"
    assert _read(body, b"bnd-42", chunk_bytes) == PARTS


def test_a_part_never_passes_through_memory_whole():
    big = b"x" * (3 * 1024 * 1024)
    stream = CountingStream(multipart_mixed([("d" * 64 + ".filez", big)], "bnd"))
    sizes = [
        len(chunk) for _, chunks in read_parts(stream, b"bnd", chunk_bytes=64 * 1024) for chunk in chunks
    ]
    assert sum(sizes) == len(big)
    assert max(sizes) <= 64 * 1024 and stream.largest_read <= 64 * 1024


def test_unread_parts_are_skipped():
    names = [name for name, _ in read_parts(io.BytesIO(multipart_mixed(PARTS, "b")), b"b", chunk_bytes=5)]
    assert names == [name for name, _ in PARTS]


@pytest.mark.parametrize(
    "body",
    [
        b"no parts at all",
        b"--b\r\nContent-Disposition: attachment; filename=x\r\n\r\ncut short",
        b"--b\r\nno header end",
        b"--bgarbage\r\n\r\n\r\n--b--",
        b"--b\r\nnot a header\r\n\r\nx\r\n--b--",
    ],
)
def test_malformed_bodies_are_refused(body):
    with pytest.raises(MalformedMultipart):
        _read(body, b"b", 4)


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary=x",
        "multipart/mixed",
        "application/json",
        "multipart/mixed; boundary=" + "x" * 71,
    ],
)
def test_only_multipart_mixed_with_a_boundary(content_type):
    with pytest.raises(MalformedMultipart):
        boundary_of(content_type)


def test_the_boundary_is_read_from_the_content_type():
    assert boundary_of('multipart/mixed; boundary="abc 123"') == b"abc 123"
