"""The republish job (flat-manager's kind 3): give an app already published in a repository a
new commit on each of its refs, without a new build.

As flat-manager does it: each ``app/<id>/...`` ref of the main repository is re-committed with
``flatpak build-commit-from --force`` into a scratch repository whose parent is the main one
(the end-of-life marks given are set on the way), the repository's publish hook may edit those
commits there, and they are imported back into the main repository as new commits; then the
batched update-repo job refreshes the summary and appstream. Runs under the repository's lock,
like a publish. Re-running it adds one more commit with the same content.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from builds.builds.work.hooks import run_repository_hook
from builds.jobs.models import Job
from builds.jobs.runner import JobFailed, LogLine
from builds.jobs.services import update_repo_job_queue
from builds.storage import tools
from builds.storage.layout import Storage


class RepublishJob:
    locks_repository = True

    def run(self, job: Job, log: LogLine) -> dict[str, Any]:
        repository, app_id = job.repository, job.contents.get("app")
        if repository is None or not app_id:
            raise JobFailed("A republish job needs a repository and an app")
        storage = Storage.configured()
        main = storage.repository(repository.name)
        refs = tools.list_refs(main, f"app/{app_id}")
        if not refs:
            raise JobFailed(f"{app_id} has no published refs in {repository.name}")
        scratch = storage.scratch()
        scratch.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"republish-{job.id}-", dir=scratch))
        try:
            tools.init_repo(work, parent=main)
            for ref in refs:
                log(f"Re-publishing {ref}")
                tools.commit_from(
                    src_repo=main,
                    src_ref=ref,
                    dst_repo=work,
                    dst_ref=ref,
                    end_of_life=job.contents.get("endoflife"),
                    end_of_life_rebase=_rebase(app_id, job.contents.get("endoflife_rebase")),
                    log=log,
                )
            hook = repository.parsed_publish_hook
            if hook is not None:
                log("Running publish hook")
                run_repository_hook(hook.command, repository=repository, repo_dir=work, job=job, log=log)
            log(f"Republishing refs to repo {repository.name}")
            tools.commit_from(src_repo=work, dst_repo=main, log=log)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        republished = {}
        for ref in refs:
            commit = tools.rev_parse(main, ref)
            if commit is None:
                raise JobFailed(f"{ref} is not in {repository.name} after republishing it")
            republished[ref] = commit
        update_job_id = update_repo_job_queue(repository=repository, log=log)
        return {"refs": republished, "update-repo-job": update_job_id}

    def succeeded(self, job: Job, results: dict[str, Any]) -> None:
        pass

    def failed(self, job: Job, message: str) -> None:
        pass


def _rebase(app_id: str, end_of_life_rebase: str | None) -> str | None:
    """flat-manager's ``--end-of-life-rebase=<this app's id>=<new id>``."""
    return f"{app_id}={end_of_life_rebase}" if end_of_life_rebase else None
