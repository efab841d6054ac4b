"""The commit job: import each uploaded ref into the build repository, verifying every object.

For each ref, ``flatpak build-commit-from --untrusted`` makes a new commit in the build
repository from the uploaded one, checking every object's checksum on the way (a corrupted or
missing object fails the job with the tool's own words); then ``.flatpakref`` files,
``flatpak build-update-repo`` (summary and appstream of the build repository), and once the
build's new state is recorded, the upload area is removed.

Re-running it (a worker died) is safe: each step redoes the same import.
"""

from __future__ import annotations

import shutil
from typing import Any

from django.conf import settings

from builds.builds.models import Build, BuildRef
from builds.builds.refs import parse_ref
from builds.builds.services import build_commit_failed, build_commit_succeeded
from builds.builds.work.flatpakref import flatpakref
from builds.jobs.models import Job
from builds.jobs.runner import JobFailed, LogLine
from builds.storage import tools
from builds.storage.layout import Storage


class CommitJob:
    locks_repository = False

    def run(self, job: Job, log: LogLine) -> dict[str, Any]:
        build = Build.objects.select_related("repository").get(id=job.build_id)
        refs = list(BuildRef.objects.filter(build=build).order_by("id"))
        if not refs:
            raise JobFailed("No refs in build")
        storage = Storage.configured()
        build_repo, upload = storage.build(build.id), storage.upload_area(build.id)
        if not upload.is_dir():
            raise JobFailed("The build's upload area is gone")
        options = job.contents
        committed = {}
        for build_ref in refs:
            log(f"Committing ref {build_ref.ref_name} ({build_ref.commit})")
            tools.commit_from(
                src_repo=upload,
                src_ref=build_ref.commit,
                dst_repo=build_repo,
                dst_ref=build_ref.ref_name,
                untrusted=True,
                end_of_life=options.get("endoflife"),
                end_of_life_rebase=_rebase(refs, options.get("endoflife_rebase")),
                token_type=options.get("token_type"),
                log=log,
            )
            commit = tools.rev_parse(build_repo, build_ref.ref_name)
            if commit is None:
                raise JobFailed(f"{build_ref.ref_name} is not in the build repository after committing it")
            committed[build_ref.ref_name] = commit
            ref = parse_ref(build_ref.ref_name)
            if ref.gets_flatpakref:
                filename, contents = flatpakref(
                    ref,
                    url=f"{settings.BUILDS['PUBLIC_URL']}/build-repo/{build.id}",
                    title=f"{ref.id} build nr {build.id}",
                )
                (build_repo / filename).write_text(contents)
        log("Running build-update-repo")
        tools.update_repo(build_repo, log=log)
        return {"refs": committed}

    def succeeded(self, job: Job, results: dict[str, Any]) -> None:
        build_commit_succeeded(job=job, committed=results["refs"])

    def failed(self, job: Job, message: str) -> None:
        build_commit_failed(job=job, message=message)

    def cleanup(self, job: Job) -> None:
        shutil.rmtree(Storage.configured().upload_area(job.build_id), ignore_errors=True)


def _rebase(refs: list[BuildRef], end_of_life_rebase: str | None) -> str | None:
    """flat-manager's ``--end-of-life-rebase=<this app's id>=<new id>``, from the app ref."""
    if not end_of_life_rebase:
        return None
    app = next((parse_ref(r.ref_name) for r in refs if r.ref_name.startswith("app/")), None)
    return f"{app.id}={end_of_life_rebase}" if app else None
