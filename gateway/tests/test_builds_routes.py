"""The gateway's builds routes with the real builds service (under ASGI) and identity behind a
real nginx: uploads authorised before their body is read, downloads served from disk and
authorised by the service, traversal refused, live logs passed on unbuffered.

The platform (its own database, migrated) comes from tests/harness.py, as for the e2e suite.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the root's tests package (the harness) when run as gateway/tests alone

from tests.e2e.shopping import ADMIN_PASSWORD, Api, new_customer  # noqa: E402
from tests.harness import ADMIN_URL, Platform  # noqa: E402

MB = 1024 * 1024


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    storage = tmp_path_factory.mktemp("builds-storage")
    env = {"BUILDS_STORAGE_DIR": str(storage), "GATEWAY_MAX_BODY": "1m", "GATEWAY_MAX_BODY_BUILDS": "200m"}
    with Platform(
        services=["identity", "builds"], processes=("web",), env=env, gunicorn_workers=1
    ) as running:
        running.storage = storage
        yield running


@pytest.fixture(scope="module")
def staff(platform) -> Api:
    email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
    platform.create_admin(email, ADMIN_PASSWORD)
    return Api(platform, email, ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def setup(platform, staff):
    """A public and a private repository, a private build of each, and tokens."""
    for name, public in (("apps", True), ("private-apps", False)):
        created = staff.post("/api/v1/builds/repos/", {"name": name, "is_public": public})
        assert created.status_code == 201, created.text
    builds = {}
    for repo in ("apps", "private-apps"):
        created = staff.post(
            "/api/v1/builds/builds/",
            {"repository": repo, "app_id": "org.example.Hello", "public_download": False},
        )
        assert created.status_code == 201, created.text
        builds[repo] = created.json()["data"]["id"]
    public_build = staff.post(
        "/api/v1/builds/builds/", {"repository": "apps", "public_download": True}
    ).json()["data"]["id"]

    def token(scope, sub="build"):
        body = {"name": f"t-{uuid.uuid4().hex[:6]}", "sub": sub, "scope": scope, "duration": 600}
        response = staff.post("/api/v1/builds/tokens/", body)
        assert response.status_code == 201, response.text
        return response.json()["data"]["token"]

    return {
        "builds": builds,
        "public_build": public_build,
        "uploader": token(["build", "upload"]),
        "reader": token(["jobs"]),
        "downloader": token(["download"], sub=f"build/{builds['apps']}"),
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload_body(parts: list[tuple[str, bytes]], boundary: str = "gw-boundary") -> bytes:
    chunks = []
    for name, content in parts:
        chunks.append(
            f'--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="{name}"\r\n\r\n'.encode()
        )
        chunks.append(content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def headers_only(platform, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """Send a request's headers and no body, then read the answer: one that arrives was given
    without reading the body."""
    with socket.create_connection(("127.0.0.1", platform.gateway_port), timeout=10) as sock:
        lines = [
            f"{method} {path} HTTP/1.1",
            "Host: gateway.test",
            *(f"{k}: {v}" for k, v in headers.items()),
            "",
            "",
        ]
        sock.sendall("\r\n".join(lines).encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read(response.length or 0)


def service_paths(platform, request_id: str) -> list[str]:
    """The paths the builds service logged for ``request_id`` (one JSON line per request)."""
    paths = []
    for line in platform.log("builds-web").splitlines():
        if request_id in line and line.startswith("{"):
            entry = json.loads(line)
            if entry.get("request_id") == request_id and "path" in entry:
                paths.append(entry["path"])
    return paths


# -- uploads ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "status", "error_type"),
    [(None, 401, "invalid-token"), ("reader", 403, "token-insufficient")],
    ids=["anonymous", "token-without-upload"],
)
def test_a_100mb_upload_not_allowed_is_refused_before_its_body_is_read(
    platform, setup, credentials, status, error_type
):
    build_id = setup["builds"]["apps"]
    request_id = f"upload-{uuid.uuid4().hex}"
    answer, headers, body = headers_only(
        platform,
        "POST",
        f"/flat-manager/api/v1/build/{build_id}/upload",
        {
            **(bearer(setup[credentials]) if credentials else {}),
            "Content-Type": "multipart/mixed; boundary=x",
            "Content-Length": str(100 * MB),
            "X-Request-ID": request_id,
        },
    )

    assert answer == status
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error-type"] == error_type
    # The service was at most asked whether to accept it (the answer may be cached); the upload
    # itself never reached it.
    assert set(service_paths(platform, request_id)) <= {"/internal/builds/uploads/authorize"}
    upload_area = platform.storage / "builds" / str(build_id) / "upload" / "objects"
    assert not upload_area.exists() or not any(upload_area.iterdir())


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_accepted_upload_streams_through_to_the_service(platform, setup, chunked):
    build_id = setup["builds"]["apps"]
    name = f"{uuid.uuid4().hex * 2}.filez"
    content = bytes(range(256)) * (12 * MB // 256)  # larger than every other route accepts
    body = upload_body([(name, content)])

    response = requests.post(
        platform.url(f"/flat-manager/api/v1/build/{build_id}/upload"),
        # A generator is sent with Transfer-Encoding: chunked, as a client may.
        data=(body[i : i + MB] for i in range(0, len(body), MB)) if chunked else body,
        headers={**bearer(setup["uploader"]), "Content-Type": "multipart/mixed; boundary=gw-boundary"},
        timeout=60,
    )

    assert response.status_code == 200, response.text
    assert response.json() == [name]
    stored = platform.storage / "builds" / str(build_id) / "upload" / "objects" / name[:2] / name[2:]
    assert stored.read_bytes() == content


def test_other_builds_routes_keep_the_default_body_limit(platform, setup):
    big = b"{" + b" " * (2 * MB) + b"}"
    protocol = requests.post(
        platform.url("/flat-manager/api/v1/build"), data=big, headers=bearer(setup["uploader"]), timeout=30
    )
    api = requests.post(
        platform.url("/api/v1/builds/builds/"), data=big, headers=bearer(setup["uploader"]), timeout=30
    )
    assert protocol.status_code == 413 and protocol.json()["error-type"] == "generic-error"
    assert api.status_code == 413 and api.json()["error"]["code"] == "payload_too_large"


def test_the_protocols_location_names_the_gateway(platform, setup):
    response = requests.post(
        platform.url("/flat-manager/api/v1/build"),
        json={"repo": "apps"},
        headers=bearer(setup["uploader"]),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Location"] == platform.url(f"/flat-manager/api/v1/build/{response.json()['id']}")


# -- downloads -------------------------------------------------------------------------------


def test_public_repositories_are_served_by_nginx_to_anyone(platform, setup):
    response = requests.get(platform.url("/repo/apps/config"), timeout=10)
    assert response.status_code == 200
    assert response.content == (platform.storage / "repos" / "apps" / "config").read_bytes()
    head = requests.head(platform.url("/repo/apps/config"), timeout=10)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(response.content)


def test_a_private_download_is_refused_to_another_user(platform, staff, setup):
    stranger = new_customer(platform)
    private_build = setup["builds"]["apps"]
    paths = ["/repo/private-apps/config", f"/build-repo/{private_build}/config"]

    for path in paths:
        assert requests.get(platform.url(path), headers=staff.headers, timeout=10).status_code == 200
        refused = requests.get(platform.url(path), headers=stranger.headers, timeout=10)
        assert refused.status_code == 404, path
        assert refused.json()["error"]["code"] == "not_found"
        anonymous = requests.get(platform.url(path), timeout=10)
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    token = requests.get(platform.url(paths[1]), headers=bearer(setup["downloader"]), timeout=10)
    assert token.status_code == 200
    other_build = requests.get(
        platform.url(f"/build-repo/{setup['builds']['private-apps']}/config"),
        headers=bearer(setup["downloader"]),
        timeout=10,
    )
    assert other_build.status_code == 404


def test_answers_are_cached_per_repository_and_credentials(platform, setup):
    for _ in range(2):  # the public repository's answer must not serve the private one
        assert requests.get(platform.url("/repo/apps/config"), timeout=10).status_code == 200
        assert requests.get(platform.url("/repo/private-apps/config"), timeout=10).status_code == 401
        assert (
            requests.get(platform.url(f"/build-repo/{setup['public_build']}/config"), timeout=10).status_code
            == 200
        )
        assert (
            requests.get(
                platform.url(f"/build-repo/{setup['builds']['apps']}/config"), timeout=10
            ).status_code
            == 401
        )


def test_a_build_repository_falls_back_to_its_main_repository(platform, setup):
    main_only = platform.storage / "repos" / "apps" / "objects" / "zz"
    main_only.mkdir(parents=True, exist_ok=True)
    (main_only / "fallback.dirmeta").write_bytes(b"from the main repository")

    response = requests.get(
        platform.url(f"/build-repo/{setup['public_build']}/objects/zz/fallback.dirmeta"), timeout=10
    )

    assert response.status_code == 200 and response.content == b"from the main repository"


@pytest.mark.parametrize(
    "path",
    [
        "/repo/apps/../private-apps/config",
        "/repo/apps/%2e%2e/private-apps/config",
        "/repo/apps/..%2f..%2f..%2fetc/passwd",
        "/repo/apps/objects/",
        "/repo/apps/",
        "/repo/apps/.lock",
        "/repo/apps/objects/.hidden",
        "/repo/.apps/config",
        "/build-repo/{build}/upload/objects/ab/" + "c" * 62 + ".filez",
        "/build-repo/{build}/../../repos/private-apps/config",
        "/build-repo/0/config",
        "/repo/apps%2f..%2fprivate-apps/config",
    ],
)
def test_traversal_listings_and_hidden_files_are_refused(platform, setup, path):
    path = path.format(build=setup["public_build"])
    conn = http.client.HTTPConnection("127.0.0.1", platform.gateway_port, timeout=10)
    conn.request("GET", path)  # as written: no client-side normalisation
    response = conn.getresponse()
    body = response.read()
    conn.close()

    assert response.status in (400, 401, 404), (path, response.status)
    assert b"[core]" not in body and b"root:" not in body


def test_other_methods_are_refused_on_downloads(platform):
    response = requests.post(platform.url("/repo/apps/config"), data=b"x", timeout=10)
    assert response.status_code == 405


# -- live logs -------------------------------------------------------------------------------


def test_a_followed_log_passes_through_unbuffered(platform, staff):
    """A job's first line reaches the follower while the job still runs (the stream stays open)."""
    dsn = ADMIN_URL.rsplit("/", 1)[0] + f"/{platform.database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET search_path TO builds")
        job_id = conn.execute(
            "INSERT INTO jobs_job (kind, status, contents, log_length, attempts, created_at) "
            "VALUES (2, 1, '{}', 0, 0, now()) RETURNING id"
        ).fetchone()[0]
        received: list[str] = []
        response = requests.get(
            platform.url(f"/api/v1/builds/jobs/{job_id}/log/"),
            headers={**staff.headers, "Accept": "text/event-stream"},
            stream=True,
            timeout=30,
        )
        assert response.status_code == 200 and response.headers["Content-Type"] == "text/event-stream"

        def read() -> None:
            with contextlib.suppress(requests.RequestException, AttributeError):  # closed by the test
                lines = response.iter_lines(chunk_size=1, decode_unicode=True)
                received.extend(line for line in lines if line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        line = "one line while the job runs\n"
        with conn.transaction():
            conn.execute(
                "INSERT INTO jobs_joblogline (job_id, end_offset, text, created_at) VALUES (%s, %s, %s, now())",
                [job_id, len(line), line],
            )
            conn.execute("UPDATE jobs_job SET log_length = %s WHERE id = %s", [len(line), job_id])
            conn.execute("SELECT pg_notify('builds_job_log', %s)", [f"{job_id}:{len(line)}"])
        deadline = time.monotonic() + 10
        while not any("one line while the job runs" in item for item in received):
            assert time.monotonic() < deadline, received
            time.sleep(0.05)
        assert reader.is_alive()  # still streaming: nothing waited for the end
        response.close()
