"""Running a repository's hook command for a build (check hooks, the publish hook)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from builds.builds.models import Build
from builds.jobs.models import Job
from builds.jobs.runner import LogLine
from builds.storage import tools
from builds.storage.layout import Storage


def run_hook(command: Sequence[str], *, build: Build, job: Job, log: LogLine) -> None:
    """Run ``command`` in the build repository with the build and job in its environment;
    raises ``tools.ToolFailed`` when it exits non-zero or outlives ``BUILDS_HOOK_TIMEOUT_SECONDS``."""
    build_repo = Storage.configured().build(build.id)
    environment = {
        "BUILDS_BUILD_ID": str(build.id),
        "BUILDS_JOB_ID": str(job.id),
        "BUILDS_REPOSITORY": build.repository.name,
        "BUILDS_BUILD_REPO": str(build_repo),
        # flat-manager's names, so hooks written for it keep working
        "FLAT_MANAGER_BUILD_ID": str(build.id),
        "FLAT_MANAGER_JOB_ID": str(job.id),
    }
    tools.run(
        command,
        log=log,
        cwd=build_repo,
        extra_env=environment,
        timeout=settings.BUILDS["HOOK_TIMEOUT_SECONDS"],
    )
