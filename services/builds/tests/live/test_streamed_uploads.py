"""Upload bodies stream from uvicorn to the upload view (``builds.protocol.streaming``): the
first object of a batch is stored while the client is still sending the rest, the body's size
limit stops a body as it grows, and a declared oversized body is refused before it is read."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from builds.storage.layout import Storage
from builds.tokens.services import token_issue
from tests.live.client import FlatManagerClient, multipart_mixed

BOUNDARY = "streamb0undary"
CONTENT_TYPE = f"multipart/mixed; boundary={BOUNDARY}"


@pytest.fixture
def client(live, repository) -> FlatManagerClient:
    token = token_issue(name="ci", sub="build", scope=["build", "upload"], duration=3600).token
    return FlatManagerClient(base=f"{live.url}/flat-manager/", token=token)


def _stored(build_id: int, name: str):
    return Storage.configured().upload_area(build_id) / "objects" / name[:2] / name[2:]


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_the_first_object_is_stored_before_the_rest_of_the_body_is_sent(client, app):
    build_url, build = client.create_build("apps")
    first, second = app.object_names()[:2]
    body = multipart_mixed([(first, app.object_bytes(first)), (second, app.object_bytes(second))], BOUNDARY)
    second_part = body.index(f"--{BOUNDARY}".encode(), len(BOUNDARY) + 2)
    cut = body.index(b"\r\n\r\n", second_part) + 4  # the first part, and the second one's headers
    seen_mid_body = []

    def chunks() -> Iterator[bytes]:
        yield body[:cut]
        # A spooling server would not run the view before the last byte: the first object
        # would never appear here, and the wait would time out.
        seen_mid_body.append(_wait_for(lambda: _stored(build["id"], first).exists()))
        yield body[cut:]

    response = requests.post(
        f"{build_url}/upload",
        data=chunks(),  # chunked transfer encoding: sent as the generator yields
        headers={"Authorization": f"Bearer {client.token}", "Content-Type": CONTENT_TYPE},
        timeout=60,
    )

    assert response.status_code == 200, response.text
    assert response.json() == [first, second]
    assert seen_mid_body == [True]
    assert _stored(build["id"], second).read_bytes() == app.object_bytes(second)


def test_a_body_growing_past_the_limit_is_stopped_while_it_is_read(client, app, settings):
    settings.BUILDS = {**settings.BUILDS, "UPLOAD_MAX_BODY_BYTES": 64 * 1024}
    build_url, build = client.create_build("apps")
    name = "a" * 64 + ".filez"
    body = multipart_mixed([(name, b"x" * 200 * 1024)], BOUNDARY)

    def chunks() -> Iterator[bytes]:  # no Content-Length: only reading tells the size
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    response = requests.post(
        f"{build_url}/upload",
        data=chunks(),
        headers={"Authorization": f"Bearer {client.token}", "Content-Type": CONTENT_TYPE},
        timeout=60,
    )

    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "error-type": "generic-error",
        "message": "The request body is larger than 65536 bytes",
    }
    assert not _stored(build["id"], name).exists()
    assert not list(Storage.configured().incoming(build["id"]).glob("*"))


def test_a_declared_oversized_body_is_refused_before_it_is_sent(client, settings):
    settings.BUILDS = {**settings.BUILDS, "UPLOAD_MAX_BODY_BYTES": 1024 * 1024}
    build_url, _ = client.create_build("apps")
    url = urlsplit(f"{build_url}/upload")
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {client.token}\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\nContent-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode())  # and not one byte of the 100 MB
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b'"message": "The request body is larger than 1048576 bytes"' in answer
