"""The flat-manager protocol's calls (``services/builds/README.md``, "Command-line client"), with its retry rule: a status
of 500 or more and a dropped connection are retried with backoff; any other non-200 answer
fails at once."""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

logger = logging.getLogger("builds_client")

MAX_WANTED_PER_REQUEST = 2000  # the protocol's limit on one missing_objects question
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 300.0


class ProtocolError(Exception):
    """A non-200 answer (or one that is not the expected JSON)."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body if isinstance(body, dict) else {}

    @property
    def current_state(self) -> str | None:
        return self.body.get("current-state")


@dataclass
class RetryPolicy:
    attempts: int = 6
    first_delay: float = 0.5
    max_delay: float = 15.0

    def delays(self):
        delay = self.first_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)


class FlatManager:
    """One server and one token. Build and job URLs are the server's, used verbatim."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    # -- transport ------------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        body: Callable[[], Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """A 200 answer, retrying 5xx and dropped connections; ``body`` makes a fresh request
        body for each attempt (an upload re-reads its files)."""
        delays = self.retry.delays()
        while True:
            try:
                data = body() if body is not None else None
                if content_type := getattr(data, "content_type", None):  # a multipart body
                    headers = {**(headers or {}), "Content-Type": content_type}
                if json_body is not None:
                    data = json.dumps(json_body).encode()
                    headers = {"Content-Type": "application/json", **(headers or {})}
                response = self.session.request(
                    method, url, data=data, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure: str = f"{method} {url}: {exc.__class__.__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return response
                if response.status_code < 500:
                    raise _error(method, url, response)
                failure = f"{method} {url}: HTTP {response.status_code}"
            delay = next(delays, None)
            if delay is None:
                raise ProtocolError(f"{failure} (gave up after {self.retry.attempts} attempts)")
            logger.warning("%s; retrying in %.1fs", failure, delay)
            time.sleep(delay)

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.call(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ProtocolError(f"{method} {url}: the answer is not JSON", status=200) from None

    # -- calls ----------------------------------------------------------------------------

    def create_build(self, repo: str, *, app_id: str | None = None, public_download: bool | None = None):
        body: dict[str, Any] = {"repo": repo}
        if app_id:
            body["app-id"] = app_id
        if public_download is not None:
            body["public-download"] = public_download
        response = self.call("POST", urljoin(self.base_url, "api/v1/build"), json_body=body)
        location = response.headers.get("Location")
        if not location:
            raise ProtocolError("the create answer has no Location header", status=200)
        return location, response.json()

    def get_build(self, build_url: str) -> dict[str, Any]:
        return self.json("GET", build_url)

    def extended(self, build_url: str) -> dict[str, Any]:
        return self.json("GET", f"{build_url}/extended")

    def missing_objects(self, build_url: str, wanted: list[str]) -> list[str]:
        """The objects of ``wanted`` the server lacks, asking at most 2000 at a time (gzip bodies)."""
        missing: list[str] = []
        for start in range(0, len(wanted), MAX_WANTED_PER_REQUEST):
            chunk = wanted[start : start + MAX_WANTED_PER_REQUEST]
            payload = gzip.compress(json.dumps({"wanted": chunk}).encode())
            answer = self.json(
                "GET",
                f"{build_url}/missing_objects",
                body=lambda payload=payload: payload,
                headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
            missing.extend(answer["missing"])
        return missing

    def upload(self, build_url: str, make_body: Callable[[], Any], count: int) -> None:
        """One batch; ``make_body()`` gives a fresh multipart body per attempt (a retry resends
        the whole batch, which the server takes as a no-op for what it already stored)."""
        response = self.call("POST", f"{build_url}/upload", body=make_body)
        try:
            stored = response.json()
        except ValueError:
            stored = None
        if isinstance(stored, list) and len(stored) != count:
            raise ProtocolError(f"the server stored {len(stored)} of {count} uploaded objects", status=200)

    def build_ref(self, build_url: str, ref: str, commit: str, build_log_url: str | None = None):
        body = {"ref": ref, "commit": commit, "build-log-url": build_log_url}
        return self.json("POST", f"{build_url}/build_ref", json_body=body)

    def commit(
        self, build_url: str, *, end_of_life: str | None = None, end_of_life_rebase: str | None = None
    ):
        body = {"endoflife": end_of_life, "endoflife_rebase": end_of_life_rebase}
        return self.json("POST", f"{build_url}/commit", json_body=body)

    def publish(self, build_url: str) -> dict[str, Any] | None:
        """The publish job; None when the build is already publishing or published (the
        protocol's 400 naming that state counts as success)."""
        try:
            return self.json("POST", f"{build_url}/publish", json_body={})
        except ProtocolError as exc:
            if exc.status == 400 and exc.current_state in ("published", "publishing", "validating"):
                return None
            raise

    def purge(self, build_url: str) -> None:
        try:
            self.json("POST", f"{build_url}/purge", json_body={})
        except ProtocolError as exc:
            if not (exc.status == 400 and exc.body.get("message") == "Can't prune build while in use"):
                raise

    def job(self, job_url: str, log_offset: int) -> dict[str, Any]:
        return self.json("GET", job_url, json_body={"log-offset": log_offset})


def job_url(build_url: str, job_id: int) -> str:
    """The protocol's rule: drop the build URL's last two path segments, add ``/job/<id>``."""
    parts = urlsplit(build_url)
    path = parts.path.rstrip("/").rsplit("/", 2)[0]
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/job/{job_id}", "", ""))


def _error(method: str, url: str, response: requests.Response) -> ProtocolError:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return ProtocolError(
        f"{method} {url}: HTTP {response.status_code}: {message or response.text[:200]}",
        status=response.status_code,
        body=body,
    )
