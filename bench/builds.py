#!/usr/bin/env python3
"""The builds service under load, through the gateway (prints figures, asserts nothing).

1. Upload throughput: a build of ~200 MB in many objects (incompressible files of 256 KiB),
   pushed by our client (multipart/mixed batches of ~4 MiB) through the gateway, next to nginx
   serving the same object files from disk to the same kind of client on this machine; and
   the ratio (target >= 0.5).
2. Time to publish a build of 10,000 objects: upload, commit job, publish job and the
   repository update, each timed.
3. API latency while 200 log followers (Server-Sent-Events streams of a running job) are
   connected, next to the same requests with none connected.

    .venv/bin/python bench/builds.py [--megabytes 200] [--objects 10000] [--followers 200]
        [--parts upload,publish,followers]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
# This file is bench/builds.py: its folder first on sys.path would hide the builds package.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from builds_client import local_repo  # noqa: E402
from builds_client.protocol import FlatManager  # noqa: E402
from builds_client.push import Pusher, PushOptions  # noqa: E402
from tests.e2e.builds.support import builds_shell  # noqa: E402
from tests.e2e.shopping import create_admin  # noqa: E402
from tests.harness import Platform, free_port  # noqa: E402

REPOSITORY = "bench"
METADATA = "[Application]\nname={app_id}\nruntime=org.freedesktop.Platform/x86_64/23.08\ncommand=run\n"


def sh(*args: object) -> str:
    return subprocess.run([str(arg) for arg in args], check=True, capture_output=True, text=True).stdout


def export_app(root: Path, app_id: str, write_files) -> Path:
    """An app exported with ``flatpak build-export`` into a fresh archive repository."""
    appdir = root / f"{app_id}-appdir"
    (appdir / "files").mkdir(parents=True)
    (appdir / "export").mkdir()
    (appdir / "metadata").write_text(METADATA.format(app_id=app_id))
    write_files(appdir / "files")
    repo = root / f"{app_id}-repo"
    sh("ostree", "init", "--mode=archive-z2", f"--repo={repo}")
    sh("flatpak", "build-export", repo, appdir, "stable")
    shutil.rmtree(appdir)
    return repo


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, p99 {pick(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"


# -- 1. upload throughput -------------------------------------------------------------------


class DiskNginx:
    """nginx serving a folder from disk (sendfile) on a free port, while the block runs."""

    def __init__(self, root: Path, workdir: Path) -> None:
        self.port = free_port()
        self.prefix = workdir / "nginx-disk"
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        (self.prefix / "nginx.conf").write_text(
            # As root, nginx's workers would run as nobody and not read the run's private folder.
            ("user root;\n" if os.geteuid() == 0 else "")
            + "worker_processes 1; pid nginx.pid; error_log stderr warn; daemon off;\n"
            "events { worker_connections 64; }\n"
            "http { access_log off; sendfile on; client_body_temp_path tmp; proxy_temp_path tmp;\n"
            "  fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp;\n"
            f"  server {{ listen 127.0.0.1:{self.port}; root {root}; }} }}\n"
        )

    def __enter__(self) -> DiskNginx:
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")], stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)

    def download_rate(self, names: list[str]) -> float:
        """MB/s of reading every object, one keep-alive client, one request at a time."""
        session = requests.Session()
        total = 0
        started = time.perf_counter()
        for name in names:
            response = session.get(f"http://127.0.0.1:{self.port}/objects/{name[:2]}/{name[2:]}", timeout=60)
            response.raise_for_status()
            total += len(response.content)
        return total / (time.perf_counter() - started) / 1e6


def bench_upload(platform: Platform, token: str, workdir: Path, megabytes: int, rounds: int) -> None:
    size = 256 * 1024
    count = megabytes * 1024 * 1024 // size

    def blobs(files: Path) -> None:
        for n in range(count):
            (files / f"blob{n:05d}").write_bytes(os.urandom(size))

    repo = export_app(workdir, "org.bench.Upload", blobs)
    commit = local_repo.rev_parse(repo, "app/org.bench.Upload/x86_64/stable")
    objects = local_repo.needed_objects(repo, [commit])
    total = sum(item.size for item in objects)
    client = FlatManager(platform.url("/flat-manager/"), token)
    pusher = Pusher(client, out=io.StringIO())
    options = PushOptions(repo_name=REPOSITORY, local_repo=repo, progress=False)
    uploads, downloads = [], []
    # Alternated rounds: this shared machine's speed drifts more than a single pair can show.
    with DiskNginx(repo, workdir) as disk:
        for _ in range(rounds):
            build_url, _ = client.create_build(REPOSITORY)
            started = time.perf_counter()
            pusher.upload(build_url, repo, [commit], options)
            uploads.append(total / (time.perf_counter() - started) / 1e6)
            client.purge(build_url)
            downloads.append(disk.download_rate([item.name for item in objects]))
    ratios = [up / down for up, down in zip(uploads, downloads, strict=True)]
    print(f"1. upload of {len(objects)} objects, {total / 1e6:.0f} MB, through the gateway ({rounds} rounds)")
    print(f"   upload (client -> gateway -> builds): {', '.join(f'{rate:.1f}' for rate in uploads)} MB/s")
    print(f"   nginx serving the same files from disk: {', '.join(f'{rate:.1f}' for rate in downloads)} MB/s")
    print(
        f"   ratio per round {', '.join(f'{ratio:.2f}' for ratio in ratios)}; median {statistics.median(ratios):.2f} (target >= 0.5)"
    )


# -- 2. publishing 10,000 objects -----------------------------------------------------------


def bench_publish(platform: Platform, token: str, workdir: Path, count: int) -> None:
    def small_files(files: Path) -> None:
        for n in range(count - 6):  # the commit, dirtrees and dirmeta make up the rest
            directory = files / f"d{n // 1000:02d}"
            directory.mkdir(exist_ok=True)
            (directory / f"f{n:05d}").write_text(f"file {n}\n" * 8)

    repo = export_app(workdir, "org.bench.Many", small_files)
    commit = local_repo.rev_parse(repo, "app/org.bench.Many/x86_64/stable")
    objects = local_repo.needed_objects(repo, [commit])
    client = FlatManager(platform.url("/flat-manager/"), token)
    pusher = Pusher(client, out=io.StringIO())
    options = PushOptions(
        repo_name=REPOSITORY, local_repo=repo, progress=False, poll_interval=0.2, wait_update_repo=True
    )
    build_url, _ = client.create_build(REPOSITORY)
    marks = [time.perf_counter()]
    pusher.upload(build_url, repo, [commit], options)
    client.build_ref(build_url, "app/org.bench.Many/x86_64/stable", commit)
    marks.append(time.perf_counter())
    pusher.commit(build_url, client.get_build(build_url), options)
    marks.append(time.perf_counter())
    pusher.publish(build_url, options)
    marks.append(time.perf_counter())
    upload, committing, publishing = (b - a for a, b in zip(marks, marks[1:], strict=False))
    print(f"2. a build of {len(objects)} objects")
    print(
        f"   upload {upload:.1f} s, commit job {committing:.1f} s, publish + repository update {publishing:.1f} s"
    )
    print(
        f"   time to publish (commit + publish + update): {committing + publishing:.1f} s; end to end {marks[-1] - marks[0]:.1f} s"
    )


# -- 3. API latency with followers ----------------------------------------------------------


def bench_followers(platform: Platform, admin, followers: int, requests_count: int) -> None:
    job = builds_shell(
        platform,
        "import json\nfrom builds.jobs.models import Job, JobKind, JobStatus\n"
        "job = Job.objects.create(kind=JobKind.COMMIT, status=JobStatus.STARTED)\nprint(json.dumps(job.id))",
    )
    url = platform.url(f"/api/v1/builds/jobs/{job}/log/")
    connected = threading.Semaphore(0)
    stop = threading.Event()
    lines_seen = [0] * followers

    def follow(index: int) -> None:
        with requests.get(
            url, headers={**admin.headers, "Accept": "text/event-stream"}, stream=True, timeout=120
        ) as stream:
            connected.release()
            for line in stream.iter_lines():
                if line.startswith(b"event: log"):
                    lines_seen[index] += 1
                if stop.is_set():
                    return

    def latencies() -> list[float]:
        session = requests.Session()
        samples = []
        for _ in range(requests_count):
            started = time.perf_counter()
            response = session.get(platform.url("/api/v1/builds/repos/"), headers=admin.headers, timeout=30)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        return samples

    baseline = latencies()
    threads = [threading.Thread(target=follow, args=(n,), daemon=True) for n in range(followers)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert connected.acquire(timeout=60), "a follower could not connect"
    writer = threading.Thread(
        target=lambda: builds_shell(
            platform,
            "import json, time\nfrom builds.jobs.services import job_log\n"
            f"[ (job_log(job_id={job}, text=f'line {{n}}'), time.sleep(0.2)) for n in range(25)]\nprint(json.dumps(1))",
        ),
        daemon=True,
    )
    writer.start()
    loaded = latencies()
    writer.join()
    stop.set()
    builds_shell(
        platform,
        "import json\nfrom builds.jobs.models import Job\nfrom builds.jobs.services import job_log\n"
        f"Job.objects.filter(id={job}).update(status=2)\njob_log(job_id={job}, text='done')\nprint(json.dumps(1))",
    )
    reached = sum(1 for seen in lines_seen if seen)
    print(f"3. GET /api/v1/builds/repos/ ({requests_count} sequential requests)")
    print(f"   no followers:          {percentiles(baseline)}")
    print(f"   {followers} followers:         {percentiles(loaded)}")
    print(f"   followers that received log lines meanwhile: {reached} of {followers}")
    print(f"   median ratio {statistics.median(loaded) / statistics.median(baseline):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="alternated upload/download rounds")
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--parts", default="upload,publish,followers", help="which of the three to run")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-builds-"))
    env = {"BUILDS_STORAGE_DIR": str(workdir / "storage"), "BUILDS_UPDATE_REPO_DELAY_SECONDS": "0"}
    try:
        with Platform(
            services=["identity", "builds"], processes=("web", "worker", "consumer", "relay"), env=env
        ) as platform:
            admin = create_admin(platform)
            assert (
                admin.post("/api/v1/builds/repos/", {"name": REPOSITORY, "title": "Bench"}).status_code == 201
            )
            issued = admin.post(
                "/api/v1/builds/tokens/",
                {
                    "name": "bench",
                    "sub": "build",
                    "scope": ["build", "upload", "publish", "jobs"],
                    "repos": [REPOSITORY],
                    "duration": 7200,
                },
            )
            assert issued.status_code == 201, issued.text
            token = issued.json()["data"]["token"]
            print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
            parts = set(args.parts.split(","))
            if "upload" in parts:
                bench_upload(platform, token, workdir, args.megabytes, args.rounds)
            if "publish" in parts:
                bench_publish(platform, token, workdir, args.objects)
            if "followers" in parts:
                bench_followers(platform, admin, args.followers, args.requests)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
