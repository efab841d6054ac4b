"""The whole CI flow through the gateway with the real tools: our client pushes a small app,
commits and publishes it; ``ostree pull`` and ``flatpak remote-ls`` then read the published
repository at /repo/<name>/. A corrupted object fails the commit job with a clear log line,
and a Server-Sent-Events follower of a job sees its lines."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.builds.support import load_test_content

content = load_test_content()
CLIENT = Path(sys.executable).parent / "builds-client"
REPOSITORY = "flathub-e2e"


@pytest.fixture(scope="module")
def repository(builds_admin):
    response = builds_admin.post("/api/v1/builds/repos/", {"name": REPOSITORY, "title": "Flathub e2e"})
    assert response.status_code == 201, response.text
    return REPOSITORY


@pytest.fixture(scope="module")
def build_token(builds_admin, repository) -> str:
    body = {
        "name": "e2e-ci",
        "sub": "build",
        "scope": ["build", "upload", "publish", "jobs"],
        "repos": [repository],
        "prefixes": ["org.example"],
        "duration": 3600,
    }
    response = builds_admin.post("/api/v1/builds/tokens/", body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["token"]


def client(platform, token: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLIENT, "--poll-interval=0.2", *args],
        env={**os.environ, "REPO_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_pushed_app_is_published_and_pullable(builds_platform, build_token, repository, tmp_path):
    app = content.make_app(tmp_path, app_id="org.example.Hello")
    base = builds_platform.url("/flat-manager/")
    pushed = client(
        builds_platform,
        build_token,
        "push",
        "--publish",
        "--wait-update-repo",
        base,
        repository,
        str(app.path),
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert re.search(r"created build http://127\.0\.0\.1:\d+/flat-manager/api/v1/build/\d+", pushed.stdout)
    assert "repository update: job" in pushed.stdout

    served = builds_platform.url(f"/repo/{repository}/")
    pulled = content.ostree_pull(served, app.ref, tmp_path / "pull")
    assert re.fullmatch(r"[0-9a-f]{64}", pulled)
    listed = content.flatpak_remote_ls(served, tmp_path / "home")
    assert "app/org.example.Hello/x86_64/stable" in listed


def test_a_corrupted_object_fails_the_commit_job_with_a_clear_line(
    builds_platform, build_token, repository, tmp_path
):
    app = content.make_app(tmp_path, app_id="org.example.Broken", text="corrupt me")
    victim = max(
        (name for name in app.object_names() if name.endswith(".filez")),
        key=lambda n: len(app.object_bytes(n)),
    )
    path = app.path / "objects" / victim[:2] / victim[2:]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    pushed = client(
        builds_platform,
        build_token,
        "push",
        "--publish",
        builds_platform.url("/flat-manager/"),
        repository,
        str(app.path),
    )
    assert pushed.returncode == 1, pushed.stdout + pushed.stderr
    assert re.search(r"^Job failed: .+", pushed.stdout, re.MULTILINE), pushed.stdout
    assert "publishing" not in pushed.stdout


def test_a_server_sent_events_follower_sees_the_jobs_lines(
    builds_platform, builds_admin, build_token, repository, tmp_path
):
    app = content.make_app(tmp_path, app_id="org.example.Followed", text="follow me")
    pushed = client(
        builds_platform, build_token, "push", builds_platform.url("/flat-manager/"), repository, str(app.path)
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    job_id = int(re.search(r"committing: job (\d+)", pushed.stdout)[1])

    events: list[tuple[str, str]] = []
    with requests.get(
        builds_platform.url(f"/api/v1/builds/jobs/{job_id}/log/"),
        headers={**builds_admin.headers, "Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        event, data = "message", []
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            elif line == "" and (data or event != "message"):
                events.append((event, "\n".join(data)))
                if event == "end":
                    break
                event, data = "message", []
    log = "".join(json.loads(text)["log"] for kind, text in events if kind == "log")
    assert "Committing ref app/org.example.Followed/x86_64/stable" in log
    assert events[-1][0] == "end"
