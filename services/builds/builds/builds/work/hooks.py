"""Running a repository's hook command (check hooks, the publish hook)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from builds.builds.models import Build
from builds.jobs.models import Job
from builds.jobs.runner import LogLine
from builds.repos.models import Repository
from builds.storage import tools
from builds.storage.layout import Storage


def run_hook(command: Sequence[str], *, build: Build, job: Job, log: LogLine) -> None:
    """Run ``command`` in the build repository with the build and job in its environment;
    raises ``tools.ToolFailed`` when it exits non-zero or outlives ``BUILDS_HOOK_TIMEOUT_SECONDS``."""
    build_repo = Storage.configured().build(build.id)
    run_repository_hook(
        command,
        repository=build.repository,
        repo_dir=build_repo,
        job=job,
        log=log,
        environment={
            "BUILDS_BUILD_ID": str(build.id),
            "FLAT_MANAGER_BUILD_ID": str(build.id),  # flat-manager's name, so its hooks keep working
        },
    )


def run_repository_hook(
    command: Sequence[str],
    *,
    repository: Repository,
    repo_dir: Path,
    job: Job,
    log: LogLine,
    environment: dict[str, str] | None = None,
) -> None:
    """Run ``command`` in ``repo_dir`` (the OSTree repository it may edit: a build's, or the
    temporary one a republish edits) with the job in its environment."""
    tools.run(
        command,
        log=log,
        cwd=repo_dir,
        extra_env={
            "BUILDS_JOB_ID": str(job.id),
            "BUILDS_REPOSITORY": repository.name,
            "BUILDS_BUILD_REPO": str(repo_dir),
            "FLAT_MANAGER_JOB_ID": str(job.id),
            **(environment or {}),
        },
        timeout=settings.BUILDS["HOOK_TIMEOUT_SECONDS"],
    )
