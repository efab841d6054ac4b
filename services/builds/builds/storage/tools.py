"""Running Debian's ``ostree`` and ``flatpak`` (and repository hooks) from jobs.

Each command runs in its own session (a worker's signals don't reach it; a timeout kills its
whole process group), with a fixed locale so its messages are stable. Output lines go to the
job's log as they are collected; a non-zero exit raises :class:`ToolFailed` whose message
names the command and quotes the tool's last error line, which the job logs as
``Job failed: <message>``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

LogLine = Callable[[str], None]


class ToolFailed(Exception):
    def __init__(self, message: str, *, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    log: LogLine | None = None,
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """Run ``args``; return its standard output (stripped). Raises :class:`ToolFailed`."""
    argv = [os.fspath(arg) for arg in args]
    label = " ".join(argv[:2]) if argv[0] in ("ostree", "flatpak") else os.path.basename(argv[0])
    env = {**os.environ, "LC_ALL": "C.UTF-8", **(extra_env or {})}
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as error:
        raise ToolFailed(f"{label} could not start: {error.strerror or error}") from error
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise ToolFailed(f"{label} did not finish within {timeout:g} s and was stopped") from None
    except BaseException:  # the job itself is being stopped (time limit, shutdown): so is the tool
        _stop(process)
        raise
    lines = [line for line in (stdout + stderr).splitlines() if line.strip()]
    if log is not None:
        for line in lines:
            log(line)
    if process.returncode != 0:
        errors = [line for line in stderr.splitlines() if line.strip()]
        detail = f": {errors[-1].strip()}" if errors else ""
        raise ToolFailed(
            f"{label} exited with status {process.returncode}{detail}", returncode=process.returncode
        )
    return stdout.strip()


def _stop(process: subprocess.Popen[str]) -> None:
    """Kill the tool and everything it started (its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


# -- ostree --------------------------------------------------------------------------------


def init_repo(path: Path, *, parent: Path | None = None, collection_id: str | None = None) -> None:
    """An archive-mode repository at ``path`` (idempotent), reading missing objects from ``parent``."""
    path.mkdir(parents=True, exist_ok=True)
    args: list[str | Path] = ["ostree", "init", "--mode=archive-z2", f"--repo={path}"]
    if collection_id:
        args.append(f"--collection-id={collection_id}")
    run(args)
    if parent is not None:
        run(["ostree", "config", f"--repo={path}", "set", "core.parent", str(parent.resolve())])


def rev_parse(repo: Path, ref: str) -> str | None:
    """The commit ``ref`` points at in ``repo``, or None."""
    try:
        return run(["ostree", "rev-parse", f"--repo={repo}", ref])
    except ToolFailed:
        return None


def list_refs(repo: Path, prefix: str) -> list[str]:
    """The refs of ``repo`` under the directory ``prefix`` (``app/org.foo`` lists
    ``app/org.foo/...``, never ``app/org.foobar/...``), full names, sorted."""
    output = run(["ostree", "refs", f"--repo={repo}", prefix.rstrip("/")])
    return sorted(f"{prefix.rstrip('/')}/{line.strip()}" for line in output.splitlines() if line.strip())


def checkout_union(repo: Path, ref: str, destination: Path, *, log: LogLine | None = None) -> None:
    """``ostree checkout --user-mode --union``: ``ref``'s files written over ``destination``
    (created if needed; files already there and not in the ref stay), as plain user files."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    run(
        [
            "ostree",
            f"--repo={repo}",
            "checkout",
            "--user-mode",
            "--bareuseronly-dirs",
            "--union",
            ref,
            destination,
        ],
        log=log,
    )


def prune(repo: Path, *, depth: int, dry_run: bool = False, log: LogLine | None = None) -> str:
    """``ostree prune --refs-only``: delete every object not reachable from a ref within ``depth``
    parents of its head (``--no-prune`` only reports). Returns the tool's report."""
    args: list[str | Path] = ["ostree", "prune", f"--repo={repo}", "--refs-only", f"--depth={depth}"]
    if dry_run:
        args.append("--no-prune")
    return run(args, log=log)


# -- flatpak -------------------------------------------------------------------------------


def commit_from(
    *,
    src_repo: Path,
    dst_repo: Path,
    src_ref: str | None = None,
    dst_ref: str | None = None,
    untrusted: bool = False,
    end_of_life: str | None = None,
    end_of_life_rebase: str | None = None,
    token_type: int | None = None,
    extra_collection_ids: Sequence[str] = (),
    log: LogLine | None = None,
) -> str:
    """``flatpak build-commit-from``: a new commit in ``dst_repo`` for ``dst_ref`` (every
    app/runtime ref of ``src_repo`` when None) made from ``src_ref``'s content.

    ``untrusted`` verifies every object's checksum while importing it (uploaded content).
    """
    args: list[str | Path] = [
        "flatpak",
        "build-commit-from",
        "--force",  # a new commit even when the content did not change (a new build)
        "--no-update-summary",  # the update-repo step does it once for all refs
        "--disable-fsync",  # build-update-repo syncs
    ]
    if untrusted:
        args += ["--untrusted", "--timestamp=NOW"]
    if end_of_life:
        args.append(f"--end-of-life={end_of_life}")
    if end_of_life_rebase:
        args.append(f"--end-of-life-rebase={end_of_life_rebase}")
    if token_type is not None:
        args.append(f"--token-type={token_type}")
    args += [f"--extra-collection-id={extra}" for extra in extra_collection_ids]
    args.append(f"--src-repo={src_repo}")
    if src_ref:
        args.append(f"--src-ref={src_ref}")
    args.append(dst_repo)
    if dst_ref:
        args.append(dst_ref)
    return run(args, log=log)


def update_repo(
    repo: Path,
    *,
    title: str = "",
    default_branch: str = "",
    collection_id: str | None = None,
    static_deltas: bool = False,
    prune_depth: int | None = None,
    log: LogLine | None = None,
) -> None:
    """``flatpak build-update-repo``: appstream branches, summary, and optionally static deltas
    and pruning of history deeper than ``prune_depth`` parents."""
    args: list[str | Path] = ["flatpak", "build-update-repo"]
    if title:
        args.append(f"--title={title}")
    if default_branch:
        args.append(f"--default-branch={default_branch}")
    if collection_id:
        args.append(f"--collection-id={collection_id}")
    if static_deltas:
        args.append("--generate-static-deltas")
    if prune_depth is not None:
        args += ["--prune", f"--prune-depth={prune_depth}"]
    args.append(repo)
    run(args, log=log)
