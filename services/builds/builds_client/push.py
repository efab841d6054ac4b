"""The CI job's flow: create a build, upload what the server lacks, name the refs, commit,
publish, following every job to its end.

Resumable: the build's URL (and what it is a build of) is kept in a state file from the moment
the build exists. Run again after an interruption, the same push goes on with that build: the
server is asked again which objects it lacks (so only those are sent), and a build already
committing or publishing is followed rather than started again. The file is removed once the
push has finished.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from builds_client import local_repo
from builds_client.multipart import MultipartBody, batches
from builds_client.protocol import FlatManager, ProtocolError, job_url

UPLOAD_BATCH_BYTES = 4 * 1024 * 1024
UPLOADING, COMMITTING, READY, FAILED, VALIDATING = 0, 1, 2, 3, 6
UNPUBLISHED, PUBLISH_FAILED = 0, 3
JOB_ENDED, JOB_BROKEN = 2, 3
CHECK_FAILED, CHECK_REVIEW = 3, 4


class PushFailed(Exception):
    """The push cannot go on: a job broke, a check failed, the server refused something."""


@dataclass
class PushOptions:
    repo_name: str
    local_repo: Path
    refs: list[str] = field(default_factory=list)  # empty: every ref of the local repository
    app_id: str | None = None
    build_log_url: str | None = None
    end_of_life: str | None = None
    end_of_life_rebase: str | None = None
    commit: bool = True
    publish: bool = False
    wait: bool = True  # follow the jobs to their end
    wait_update_repo: bool = False
    state_file: Path | None = None
    progress: bool | None = None  # None: only on a terminal
    poll_interval: float = 1.0
    batch_bytes: int = UPLOAD_BATCH_BYTES
    upload_concurrency: int = 2  # batches in flight at once


class Pusher:
    def __init__(self, client: FlatManager, *, out: TextIO = sys.stdout) -> None:
        self.client = client
        self.out = out

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    # -- the whole flow -------------------------------------------------------------------

    def push(self, options: PushOptions) -> str:
        repo = options.local_repo
        refs = options.refs or local_repo.refs(repo)
        if not refs:
            raise PushFailed(f"{repo} has no refs to push")
        commits = {ref: local_repo.rev_parse(repo, ref) for ref in refs}
        identity = {"base": self.client.base_url, "repo": options.repo_name, "refs": commits}
        build_url = self._resumed(options.state_file, identity)
        if build_url is None:
            build_url, _ = self.client.create_build(options.repo_name, app_id=options.app_id)
            self.say(f"created build {build_url}")
            _write_state(options.state_file, {**identity, "build_url": build_url})
        build = self.client.get_build(build_url)
        if build["repo_state"] == UPLOADING:
            self.upload(build_url, repo, list(commits.values()), options)
            for ref, commit in commits.items():
                self.client.build_ref(build_url, ref, commit, options.build_log_url)
                self.say(f"ref {ref} → {commit}")
        if options.commit:
            self.commit(build_url, build, options)
            if options.publish:
                self.publish(build_url, options)
        if options.state_file is not None:
            options.state_file.unlink(missing_ok=True)  # done: the next push is a new build
        return build_url

    def _resumed(self, state_file: Path | None, identity: dict[str, Any]) -> str | None:
        state = _read_state(state_file)
        if state and all(state.get(key) == value for key, value in identity.items()):
            self.say(f"resuming build {state['build_url']}")
            return state["build_url"]
        return None

    # -- uploading ------------------------------------------------------------------------

    def upload(self, build_url: str, repo: Path, commits: list[str], options: PushOptions) -> None:
        objects = local_repo.needed_objects(repo, commits)
        by_name = {item.name: item for item in objects}
        missing = set(self.client.missing_objects(build_url, [item.name for item in objects]))
        todo = [item for item in objects if item.name in missing]  # metadata first, as asked
        total = sum(item.size for item in todo)
        self.say(f"uploading {len(todo)} of {len(by_name)} objects ({total} bytes)")
        progress = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="upload",
            disable=None if options.progress is None else not options.progress,
            file=sys.stderr,
        )
        # A few batches at once: the server parses and stores each on its own worker.
        pool = ThreadPoolExecutor(max_workers=max(1, options.upload_concurrency))
        with progress as bar, pool:
            pending = [
                pool.submit(self._upload_batch, build_url, batch, bar)
                for batch in batches(todo, options.batch_bytes)
            ]
            try:
                for done in as_completed(pending):
                    done.result()
            finally:
                for future in pending:  # after a failure, start no further batch
                    future.cancel()

    def _upload_batch(self, build_url: str, batch: list[local_repo.LocalObject], bar: tqdm) -> None:
        sent = {"bytes": 0}

        def body() -> MultipartBody:
            bar.update(-sent["bytes"])  # a retried batch starts over
            sent["bytes"] = 0

            def count(n: int) -> None:
                sent["bytes"] += n
                bar.update(n)

            return MultipartBody(batch, on_bytes=count)

        self.client.upload(build_url, body, len(batch))

    # -- commit, checks, publish ----------------------------------------------------------

    def commit(self, build_url: str, build: dict[str, Any], options: PushOptions) -> None:
        if build["repo_state"] == UPLOADING:
            job = self.client.commit(
                build_url, end_of_life=options.end_of_life, end_of_life_rebase=options.end_of_life_rebase
            )
            self.say(f"committing: job {job['id']}")
        elif build["repo_state"] == FAILED:
            raise PushFailed(f"build {build_url} failed: {build.get('repo_state_reason') or 'see its jobs'}")
        else:
            job = self.client.json("GET", f"{build_url}/commit")
        if not options.wait:
            return
        self.follow(job_url(build_url, job["id"]), options.poll_interval)
        self.wait_for_checks(build_url, options.poll_interval)

    def wait_for_checks(self, build_url: str, poll_interval: float) -> None:
        followed: set[str] = set()
        told_review: set[str] = set()
        while True:
            extended = self.client.extended(build_url)
            for check in extended.get("checks") or []:
                name = check["check_name"] if "check_name" in check else check.get("name")
                if name not in followed:
                    followed.add(name)
                    self.say(f"check {name}:")
                    self.follow(f"{build_url}/check/{name}/job", poll_interval)
                if check.get("status") == CHECK_FAILED:
                    raise PushFailed(f"check {name} failed")
                if check.get("status") == CHECK_REVIEW and name not in told_review:
                    told_review.add(name)
                    self.say(f"check {name} waits for a reviewer")
            state = extended["build"]["repo_state"]
            if state == READY:
                return
            if state == FAILED:
                reason = extended["build"].get("repo_state_reason") or "see its jobs"
                raise PushFailed(f"build failed: {reason}")
            if state not in (COMMITTING, VALIDATING):
                raise PushFailed(f"build is in state {state}, not ready")
            time.sleep(poll_interval)

    def publish(self, build_url: str, options: PushOptions) -> None:
        job = self.client.publish(build_url)
        if job is None:
            job = self.client.json("GET", f"{build_url}/publish")
            self.say(f"already publishing or published: job {job['id']}")
        else:
            self.say(f"publishing: job {job['id']}")
        if not options.wait:
            return
        ended = self.follow(job_url(build_url, job["id"]), options.poll_interval)
        results = json.loads(ended.get("results") or "{}")
        update_job = results.get("update-repo-job")
        if update_job is not None:
            self.say(f"repository update: job {update_job}")
            if options.wait_update_repo:
                self.follow(job_url(build_url, update_job), options.poll_interval)

    # -- jobs -----------------------------------------------------------------------------

    def follow(self, url: str, poll_interval: float) -> dict[str, Any]:
        """Print the job's log as it grows until the job ends; raises if it broke."""
        offset = 0
        while True:
            job = self.client.job(url, offset)
            if job.get("log"):
                self.out.write(job["log"])
                self.out.flush()
                offset += len(job["log"])
            if job["status"] == JOB_ENDED:
                return job
            if job["status"] == JOB_BROKEN:
                raise PushFailed(f"job {job['id']} failed")
            time.sleep(poll_interval)


def _read_state(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        state = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("build_url"), str) else None


def _write_state(path: Path | None, state: dict[str, Any]) -> None:
    if path is None:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=2))
    os.replace(temporary, path)  # never a half-written file, even if killed meanwhile


__all__ = ["ProtocolError", "PushFailed", "PushOptions", "Pusher"]
