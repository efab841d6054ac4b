"""A check job: run one of the repository's check hooks against a committed build.

Exit status 0 passes the check; anything else fails it, or asks for a review when the hook is
reviewable. A hook that cannot run at all (missing, timed out) breaks the job, which fails the
check. The build settles (ready or failed) once every check has finished.
"""

from __future__ import annotations

from typing import Any

from builds.builds.models import Build, CheckStatus, RepoState
from builds.builds.services import check_record_result
from builds.builds.work.hooks import run_hook
from builds.jobs.models import Job
from builds.jobs.runner import JobFailed, LogLine
from builds.storage.tools import ToolFailed


class CheckJob:
    locks_repository = False

    def run(self, job: Job, log: LogLine) -> dict[str, Any]:
        build = Build.objects.select_related("repository").get(id=job.build_id)
        name = job.contents["name"]
        if build.repo_state != RepoState.VALIDATING:
            raise JobFailed(
                f"Build {build.id} is {build.get_repo_state_display()}; the {name} check did not run"
            )
        hook = next((hook for hook in build.repository.parsed_check_hooks if hook.name == name), None)
        if hook is None:
            raise JobFailed(f"The '{name}' check hook is not defined")
        log(f"Running check command {name}")
        try:
            run_hook(hook.command, build=build, job=job, log=log)
        except ToolFailed as error:
            if error.returncode is None:  # it never ran, or was stopped: the job breaks
                raise
            message = f"Check command exited with status code {error.returncode}"
            log(message)
            status = CheckStatus.REVIEW_REQUIRED if hook.reviewable else CheckStatus.FAILED
            return {"status": int(status), "reason": message}
        log("Check command exited successfully")
        return {"status": int(CheckStatus.PASSED), "reason": ""}

    def succeeded(self, job: Job, results: dict[str, Any]) -> None:
        check_record_result(job=job, status=CheckStatus(results["status"]), reason=results["reason"])

    def failed(self, job: Job, message: str) -> None:
        check_record_result(job=job, status=CheckStatus.FAILED, reason=message)
