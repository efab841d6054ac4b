"""The prune job (flat-manager's kind 5): delete what the main repository keeps beyond its
retention.

``ostree prune --refs-only --depth=<retention - 1>`` deletes every object no ref reaches within
``retention_count`` commits of its head (older commits, and the files only they held); a dry
run first reports what it would delete, as flat-manager's job does. Holds the repository's lock,
so no publish or update-repo job writes the repository meanwhile.
"""

from __future__ import annotations

from typing import Any

from builds.jobs.models import Job
from builds.jobs.runner import JobFailed, LogLine
from builds.storage import tools
from builds.storage.layout import Storage


class PruneJob:
    locks_repository = True

    def run(self, job: Job, log: LogLine) -> dict[str, Any]:
        repository = job.repository
        if repository is None:
            raise JobFailed("A prune job needs a repository")
        main = Storage.configured().repository(repository.name)
        depth = repository.retention_count - 1
        log(
            f"Running prune dry-run on {repository.name} (keeping {repository.retention_count} commits per ref)"
        )
        tools.prune(main, depth=depth, dry_run=True, log=log)
        log("Running actual prune")
        report = tools.prune(main, depth=depth, log=log)
        return {"depth": depth, "report": report.splitlines()}

    def succeeded(self, job: Job, results: dict[str, Any]) -> None:
        pass

    def failed(self, job: Job, message: str) -> None:
        pass
