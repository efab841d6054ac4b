"""The publish job: import a ready build into its main repository.

Runs the repository's publish hook (if any), imports every app/runtime ref of the build
repository with ``flatpak build-commit-from`` (extra collection ids included), writes the
apps' ``.flatpakref`` files under ``appstream/``, extracts the build's ``screenshots/<arch>``
refs (the appstream screenshots a CI job committed) into the repository's ``screenshots/``
directory, served with it, as flat-manager does, and queues the batched update-repo job that
regenerates the summary, appstream and static deltas. Once the build is recorded as published,
builds beyond the repository's retention are purged.

Publishes of one repository run one at a time (the repository lock). Re-running it imports
again, which at worst adds a commit with the same content.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from builds.builds.models import Build, BuildRef, PublishedState
from builds.builds.refs import APP, RUNTIME, SCREENSHOTS, parse_ref
from builds.builds.services import (
    build_publish_failed,
    build_publish_succeeded,
    builds_retire_beyond_retention,
)
from builds.builds.work.flatpakref import flatpakref
from builds.builds.work.hooks import run_hook
from builds.jobs.models import Job
from builds.jobs.runner import JobFailed, LogLine
from builds.jobs.services import update_repo_job_queue
from builds.storage import tools
from builds.storage.layout import Storage


class PublishJob:
    locks_repository = True

    def run(self, job: Job, log: LogLine) -> dict[str, Any]:
        build = Build.objects.select_related("repository").get(id=job.build_id)
        if build.published_state != PublishedState.PUBLISHING:
            raise JobFailed(f"Build {build.id} is {build.get_published_state_display()}, not publishing")
        repository = build.repository
        refs = [
            parse_ref(name)
            for name in BuildRef.objects.filter(build=build).values_list("ref_name", flat=True)
        ]
        if not refs:
            raise JobFailed("No refs in build")
        storage = Storage.configured()
        build_repo, main = storage.build(build.id), storage.repository(repository.name)
        if repository.parsed_publish_hook is not None:
            log("Running publish hook")
            run_hook(repository.parsed_publish_hook.command, build=build, job=job, log=log)
        log(f"Importing build to repo {repository.name}")
        tools.commit_from(
            src_repo=build_repo,
            dst_repo=main,
            extra_collection_ids=[f"{repository.collection_id}.{extra}" for extra in build.extra_ids]
            if repository.collection_id
            else (),
            log=log,
        )
        published = {}
        appstream = main / "appstream"
        appstream.mkdir(exist_ok=True)
        for ref in refs:
            if ref.kind not in (APP, RUNTIME):
                continue
            commit = tools.rev_parse(main, ref.name)
            if commit is None:
                raise JobFailed(f"{ref.name} is not in {repository.name} after importing it")
            published[ref.name] = commit
            if ref.kind == APP:
                filename, contents = flatpakref(
                    ref,
                    url=f"{settings.BUILDS['PUBLIC_URL']}/repo/{repository.name}",
                    title=f"{ref.id} from {repository.title or repository.name}",
                    collection_id=repository.collection_id,
                )
                log(f"generating {filename}")
                (appstream / filename).write_text(contents)
        for ref in refs:
            if ref.kind == SCREENSHOTS:
                log(f"extracting {ref.name}")
                tools.checkout_union(build_repo, ref.name, main / "screenshots", log=log)
        update_job_id = update_repo_job_queue(repository=repository, log=log)
        return {"refs": published, "update-repo-job": update_job_id}

    def succeeded(self, job: Job, results: dict[str, Any]) -> None:
        build_publish_succeeded(job=job, refs=results["refs"], update_repo_job_id=results["update-repo-job"])

    def failed(self, job: Job, message: str) -> None:
        build_publish_failed(job=job, message=message)

    def cleanup(self, job: Job) -> None:
        builds_retire_beyond_retention(build_id=job.build_id)
