"""The update-repo job: regenerate a main repository's appstream branches, static deltas and
summary in one ``flatpak build-update-repo``, pruning history deeper than the repository's
retention. Batched: publishes within ``BUILDS_UPDATE_REPO_DELAY_SECONDS`` share one.

Pruning removes objects only reachable from commits beyond the retention depth. A build
uploaded meanwhile may have counted on such an object being present (``missing_objects``
said so); its publish then fails naming the object, and uploading it again fixes it.
"""

from __future__ import annotations

from typing import Any

from builds.jobs.models import Job
from builds.jobs.runner import LogLine
from builds.storage import tools
from builds.storage.layout import Storage


class UpdateRepoJob:
    locks_repository = True

    def run(self, job: Job, log: LogLine) -> dict[str, Any]:
        repository = job.repository
        log(f"Updating repository {repository.name} (appstream, static deltas, summary)")
        tools.update_repo(
            Storage.configured().repository(repository.name),
            title=repository.title,
            default_branch=repository.default_branch,
            collection_id=repository.collection_id or None,
            static_deltas=True,
            prune_depth=repository.retention_count - 1,
            log=log,
        )
        return {}

    def succeeded(self, job: Job, results: dict[str, Any]) -> None:
        pass

    def failed(self, job: Job, message: str) -> None:
        pass
