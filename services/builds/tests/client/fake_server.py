"""A stand-in flat-manager server for the client's tests: it checks every request against the
shapes the protocol file describes (and records them), keeps uploaded objects in memory and
finishes jobs at once. Failures are injected per call: an HTTP status, a dropped connection,
or holding an upload until released (to interrupt a client mid-upload)."""

from __future__ import annotations

import email.parser
import email.policy
import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UPLOAD_NAME = re.compile(
    r"^([0-9a-f]{64}\.(filez|dirtree|dirmeta|commit)|[A-Za-z0-9+_-]{43}(-[A-Za-z0-9+_-]{43})?\.(superblock|\d+)\.delta)$"
)
METADATA = (".commit", ".dirtree", ".dirmeta")


class ShapeError(AssertionError):
    pass


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass
class FakeFlatManager:
    token: str = "secret-token"
    prefix: str = "/flat-manager/"
    objects: dict[str, bytes] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failures: dict[str, list[Any]] = field(default_factory=dict)  # call name → [status | "drop"]
    hold_upload_number: int | None = None  # the n-th upload (1-based) waits for `release`
    answered_missing: list[str] = field(default_factory=list)  # every name a missing_objects answered
    release: threading.Event = field(default_factory=threading.Event)
    commit_job_status: int = 2
    check_statuses: list[int] = field(default_factory=list)
    published_already: bool = False

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.builds: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.uploads = 0
        self.held = threading.Event()

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> FakeFlatManager:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def named(self, name: str) -> list[Call]:
        return [
            call for call in self.calls if call.path.endswith(name) or call.method + " " + name == call.path
        ]

    # -- the protocol -----------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes):
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"status": 401, "error-type": "invalid-token", "message": "bad token"}, {}
        if not path.startswith(self.prefix + "api/v1/"):
            return 404, {"status": 404, "error-type": "not-found", "message": path}, {}
        route = path[len(self.prefix + "api/v1/") :]
        if method == "POST" and route == "build":
            body = self._json(raw, headers)
            self._expect(isinstance(body.get("repo"), str), "create: repo is a string")
            build_id = len(self.builds) + 1
            self.builds[build_id] = {
                "id": build_id,
                "repo": body["repo"],
                "repo_state": 0,
                "published_state": 0,
                "refs": [],
            }
            return 200, self.builds[build_id], {"Location": f"{self.base_url}api/v1/build/{build_id}"}
        match = re.fullmatch(r"build/(\d+)(/.*)?", route)
        if match:
            build = self.builds[int(match[1])]
            return self._build_call(method, build, match[2] or "", headers, raw)
        match = re.fullmatch(r"job/(\d+)", route)
        if match and method == "GET":
            return 200, self._job_answer(int(match[1]), self._json(raw, headers)), {}
        return 404, {"status": 404, "error-type": "not-found", "message": route}, {}

    def _build_call(self, method, build, action, headers, raw):
        base = f"{self.base_url}api/v1/build/{build['id']}"
        if method == "GET" and action == "":
            return 200, build, {}
        if method == "GET" and action == "/missing_objects":
            self._expect(headers.get("content-encoding") == "gzip", "missing_objects: gzip body")
            wanted = json.loads(gzip.decompress(raw))["wanted"]
            self._expect(len(wanted) <= 2000, "missing_objects: at most 2000 names")
            kinds = [name.endswith(METADATA) for name in wanted]
            self._expect(kinds == sorted(kinds, reverse=True), "missing_objects: metadata objects first")
            missing = [name for name in wanted if name not in self.objects]
            self.answered_missing.extend(missing)
            return 200, {"missing": missing}, {}
        if method == "POST" and action == "/upload":
            return self._upload(headers, raw)
        if method == "POST" and action == "/build_ref":
            body = self._json(raw, headers)
            self._expect(set(body) == {"ref", "commit", "build-log-url"}, f"build_ref: fields {sorted(body)}")
            self._expect(f"{body['commit']}.commit" in self.objects, "build_ref: its commit was uploaded")
            build["refs"].append(body)
            return (
                200,
                {
                    "id": len(build["refs"]),
                    "build_id": build["id"],
                    "ref_name": body["ref"],
                    "commit": body["commit"],
                    "build_log_url": body["build-log-url"],
                },
                {},
            )
        if method == "POST" and action == "/commit":
            body = self._json(raw, headers)
            self._expect(
                {"endoflife", "endoflife_rebase"} <= set(body), "commit: snake_case end-of-life fields"
            )
            if build["repo_state"] != 0:
                return _state_error(
                    "wrong-repo-state", "not uploading", current="committing", expected="uploading"
                )
            job = self._job(0, self.commit_job_status, "Importing the commit\nCommitted\n")
            build["commit_job"] = job["id"]
            build["checks"] = [
                {
                    "check_name": f"check{n}",
                    "status": status,
                    "job_id": self._job(4, 2, f"check {n} ran\n")["id"],
                }
                for n, status in enumerate(self.check_statuses)
            ]
            failed = self.commit_job_status == 3 or 3 in self.check_statuses
            build["repo_state"] = 3 if failed else 2
            return 200, job, {"Location": f"{base}/commit"}
        if method == "GET" and action == "/commit":
            return 200, self.jobs[build["commit_job"]], {}
        if method == "GET" and action == "/extended":
            return 200, {"build": build, "build_refs": build["refs"], "checks": build.get("checks", [])}, {}
        match = re.fullmatch(r"/check/([^/]+)/job", action)
        if method == "GET" and match:
            check = next(check for check in build["checks"] if check["check_name"] == match[1])
            return 200, self._job_answer(check["job_id"], self._json(raw, headers)), {}
        if method == "POST" and action == "/publish":
            self._json(raw, headers)
            if self.published_already or build["published_state"] == 2:
                return _state_error(
                    "wrong-published-state", "published", current="published", expected="unpublished"
                )
            if build["repo_state"] != 2:
                return _state_error("wrong-repo-state", "not ready", current="uploading", expected="ready")
            update = self._job(2, 2, "Updating the summary\n")
            job = self._job(
                1, 2, "Importing into the repository\n", results={"refs": {}, "update-repo-job": update["id"]}
            )
            build["published_state"], build["publish_job"] = 2, job["id"]
            return 200, job, {"Location": f"{base}/publish"}
        if method == "GET" and action == "/publish":
            return 200, self.jobs[build.get("publish_job") or max(self.jobs)], {}
        if method == "POST" and action == "/purge":
            build["repo_state"] = 5
            return 200, build, {}
        return 404, {"status": 404, "error-type": "not-found", "message": action}, {}

    def _upload(self, headers, raw):
        content_type = headers.get("content-type", "")
        self._expect(content_type.startswith("multipart/mixed; boundary="), f"upload: {content_type}")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        parts = []
        for part in message.iter_parts():
            disposition = part.get("Content-Disposition", "")
            self._expect(part.get_content_type() == "application/octet-stream", "upload: octet-stream parts")
            self._expect(
                disposition.startswith("attachment;") and "name=" not in disposition.replace("filename=", ""),
                f"upload: {disposition}",
            )
            name = part.get_filename()
            self._expect(bool(UPLOAD_NAME.match(name or "")), f"upload: filename {name!r}")
            parts.append((name, part.get_payload(decode=True)))
        with self.lock:
            self.uploads += 1
            number = self.uploads
        if number == self.hold_upload_number:
            self.held.set()
            self.release.wait(30)
            return None  # the client was killed meanwhile: store nothing, answer nothing
        for name, data in parts:
            self.objects.setdefault(name, data)
        return 200, [{"name": name} for name, _ in parts], {}

    # -- jobs -------------------------------------------------------------------------------

    def _job(self, kind: int, status: int, log: str, results: Any = None) -> dict[str, Any]:
        job_id = len(self.jobs) + 1
        job = {
            "id": job_id,
            "kind": kind,
            "status": status,
            "contents": "{}",
            "log": log,
            "start_after": None,
            "repo": "apps",
        }
        if results is not None:
            job["results"] = json.dumps(results)
        self.jobs[job_id] = job
        return {key: value for key, value in job.items() if key != "log"} | {"log": ""}

    def _job_answer(self, job_id: int, body: Any) -> dict[str, Any]:
        self._expect(
            isinstance(body, dict) and isinstance(body.get("log-offset"), int), "job: a log-offset body"
        )
        job = self.jobs[job_id]
        return {**job, "log": job["log"][body["log-offset"] :]}

    def _json(self, raw: bytes, headers: dict[str, str]) -> Any:
        self._expect(headers.get("content-type", "").startswith("application/json"), "a JSON body")
        return json.loads(raw or b"null")

    def _expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)
            raise ShapeError(problem)


def _state_error(error_type: str, message: str, *, current: str, expected: str):
    body = {"status": 400, "error-type": error_type, "message": message}
    return 400, {**body, "current-state": current, "expected-state": expected}, {}


def _handler(fake: FakeFlatManager):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if len(raw) < length:  # the client went away mid-body: nothing of it is kept
                self.close_connection = True
                return
            headers = {key.lower(): value for key, value in self.headers.items()}
            name = self.path.rstrip("/").rsplit("/", 1)[-1]
            with fake.lock:
                fake.calls.append(Call(self.command, self.path, headers, raw))
                planned = fake.failures.get(name) or []
                failure = planned.pop(0) if planned else None
            if failure == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if failure is not None:
                self._answer(
                    failure, {"status": failure, "error-type": "internal-error", "message": "injected"}, {}
                )
                return
            try:
                answer = fake.handle(self.command, self.path, headers, raw)
            except ShapeError as exc:
                answer = 400, {"status": 400, "error-type": "generic-error", "message": str(exc)}, {}
            if answer is None:
                self.close_connection = True
                return
            self._answer(*answer)

        def _answer(self, status: int, body: Any, extra: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

    return Handler
