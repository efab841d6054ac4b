"""A client that talks to the server the way ``flat-manager-client`` does: every call is a URL
joined onto the base with ``urljoin`` (so the base ends in ``/``), a Bearer token, retries on
status >= 500 and on dropped connections, and anything else but 200 fails at once."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests


class ProtocolFailure(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.status_code}: {response.text[:300]}")
        self.status = response.status_code
        self.body = response.json()


@dataclass
class FlatManagerClient:
    base: str  # e.g. http://host/flat-manager/
    token: str
    retries: int = 3
    retry_delay: float = 0.2

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.attempts = 0

    def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        for attempt in range(self.retries + 1):
            self.attempts += 1
            try:
                response = self.session.request(method, url, data=data, headers=headers, timeout=60)
            except requests.ConnectionError:
                if attempt == self.retries:
                    raise
            else:
                if response.status_code < 500 or attempt == self.retries:
                    return response
            time.sleep(self.retry_delay)
        raise AssertionError("unreachable")

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self.request(method, url, **kwargs)
        if response.status_code != 200:
            raise ProtocolFailure(response)
        assert response.headers["Content-Type"] == "application/json"
        return response

    # -- the calls, in the order a CI job makes them -------------------------------------

    def create_build(self, repo: str, app_id: str | None = None) -> tuple[str, dict]:
        body = {"repo": repo, **({"app-id": app_id} if app_id else {})}
        response = self.call("POST", urljoin(self.base, "api/v1/build"), body=body)
        return response.headers["Location"], response.json()

    def missing_objects(self, build_url: str, wanted: list[str]) -> list[str]:
        missing = []
        for start in range(0, len(wanted), 2000):
            data = gzip.compress(json.dumps({"wanted": wanted[start : start + 2000]}).encode())
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            response = self.call("GET", f"{build_url}/missing_objects", data=data, headers=headers)
            missing += response.json()["missing"]
        return missing

    def upload(self, build_url: str, parts: Iterable[tuple[str, bytes]]) -> list:
        boundary = uuid.uuid4().hex
        body = multipart_mixed(parts, boundary)
        headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
        return self.call("POST", f"{build_url}/upload", data=body, headers=headers).json()

    def build_ref(self, build_url: str, ref: str, commit: str) -> dict:
        body = {"ref": ref, "commit": commit, "build-log-url": "https://ci.example/1"}
        return self.call("POST", f"{build_url}/build_ref", body=body).json()

    def commit(self, build_url: str, **options: Any) -> tuple[str, dict]:
        body = {"endoflife": None, "endoflife_rebase": None, **options}
        response = self.call("POST", f"{build_url}/commit", body=body)
        return response.headers["Location"], response.json()

    def publish(self, build_url: str) -> tuple[str, dict]:
        response = self.call("POST", f"{build_url}/publish", body={})
        return response.headers["Location"], response.json()

    def job_url(self, build_url: str, job_id: int) -> str:
        """flat-manager-client's rule: drop the build URL's last two segments, add job/<id>."""
        return build_url.rsplit("/", 2)[0] + f"/job/{job_id}"

    def follow(self, job_url: str, *, timeout: float = 120) -> tuple[dict, str]:
        """Poll a job with its log offset until it has ended; returns it and its whole log."""
        log, deadline = "", time.monotonic() + timeout
        while True:
            job = self.call("GET", job_url, body={"log-offset": len(log)}).json()
            log += job["log"]
            if job["status"] >= 2:
                return job, log
            assert time.monotonic() < deadline, f"job {job_url} still {job['status']}"
            time.sleep(0.2)


def multipart_mixed(parts: Iterable[tuple[str, bytes]], boundary: str) -> bytes:
    """What aiohttp's MultipartWriter("mixed") writes for flat-manager-client's upload parts."""
    out = []
    for name, content in parts:
        out.append(
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            f"Content-Length: {len(content)}\r\n\r\n".encode()
        )
        out.append(content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)
