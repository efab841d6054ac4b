"""What the console shows a signed-in user, read through the builds domain's selectors.

Who sees what: staff see everything. Other users see the public repositories with their
builds, and the builds they created themselves; anything else answers 404 (as another user's
object does on the API), so a private repository's name is not confirmed to outsiders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from builds.builds.errors import BuildErrorCode
from builds.builds.models import Build, PublishedState, RepoState, StateField, state_name
from builds.builds.selectors import BuildExtended, build_extended, build_history, build_list
from builds.jobs.models import Job
from builds.jobs.selectors import job_get, jobs_of_build
from builds.repos.errors import RepositoryErrorCode
from builds.repos.models import Repository
from builds.repos.selectors import repository_get, repository_list
from servicekit.auth import Principal
from servicekit.envelope.errors import NotFound

RECENT_BUILDS = 20
FAILURE_WINDOW = timedelta(days=7)
# Builds that reached an outcome (the denominator of the failure rate).
SETTLED_REPO_STATES = (RepoState.READY, RepoState.FAILED, RepoState.PURGED)


@dataclass(frozen=True)
class Dashboard:
    recent: list[Build]
    by_state: dict[str, int]  # repo state label → builds created in the window
    settled: int
    failed: int
    window_days: int

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.settled if self.settled else None


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    field: str
    from_state: str | None  # None: the build was created
    to_state: str
    actor: str
    reason: str


@dataclass(frozen=True)
class BuildPage:
    extended: BuildExtended
    jobs: list[Job]
    history: list[HistoryLine]
    update_repo_job_id: int | None


def _visible(principal: Principal) -> Q:
    if principal.is_staff:
        return Q()
    return Q(repository__is_public=True) | Q(creator_user_id=principal.id)


def console_builds(*, principal: Principal, repository: str | None = None) -> QuerySet[Build]:
    return build_list(repository=repository, include_purged=True).filter(_visible(principal))


def console_repositories(*, principal: Principal) -> QuerySet[Repository]:
    repositories = repository_list()
    return repositories if principal.is_staff else repositories.filter(is_public=True)


def console_repository(*, principal: Principal, name: str) -> Repository:
    repository = repository_get(name=name)
    if not (principal.is_staff or repository.is_public):
        raise NotFound(f"No repository named {name}.", code=RepositoryErrorCode.NOT_FOUND)
    return repository


def console_build(*, principal: Principal, build_id: int) -> BuildPage:
    if not console_builds(principal=principal).filter(id=build_id).exists():
        raise NotFound(f"No build {build_id}.", code=BuildErrorCode.NOT_FOUND)
    extended = build_extended(build_id=build_id)
    publish_job = extended.build.publish_job
    update_repo = (publish_job.results or {}).get("update-repo-job") if publish_job else None
    return BuildPage(
        extended=extended,
        jobs=list(jobs_of_build(build_id=build_id)),
        history=[_history_line(change) for change in build_history(build_id=build_id)],
        update_repo_job_id=update_repo if isinstance(update_repo, int) else None,
    )


def _history_line(change) -> HistoryLine:
    field = StateField(change.field)
    return HistoryLine(
        at=change.created_at,
        field=field.value,
        from_state=None if change.from_state is None else state_name(field, change.from_state),
        to_state=state_name(field, change.to_state),
        actor=change.actor,
        reason=change.reason,
    )


def console_job(*, principal: Principal, job_id: int) -> Job:
    """A job whose build the user may see (or, for a repository's update-repo job, whose
    repository)."""
    job = job_get(job_id=job_id)
    if job.build_id is not None:
        visible = console_builds(principal=principal).filter(id=job.build_id).exists()
    else:
        visible = principal.is_staff or (job.repository is not None and job.repository.is_public)
    if not visible:
        raise NotFound(f"No job {job_id}.", code="not_found")
    return job


def console_dashboard(*, principal: Principal, now=None) -> Dashboard:
    now = now or timezone.now()
    window = FAILURE_WINDOW
    builds = console_builds(principal=principal)
    recent_window = builds.filter(created_at__gte=now - window)
    counts = dict(
        recent_window.order_by()
        .values_list("repo_state")
        .annotate(count=Count("id"))
        .values_list("repo_state", "count")
    )
    failed = Q(repo_state=RepoState.FAILED) | Q(published_state=PublishedState.FAILED)
    settled = recent_window.filter(Q(repo_state__in=SETTLED_REPO_STATES) | failed)
    return Dashboard(
        recent=list(builds.select_related("repository")[:RECENT_BUILDS]),
        by_state={RepoState(state).label: counts.get(state, 0) for state in RepoState},
        settled=settled.count(),
        failed=settled.filter(failed).count(),
        window_days=window.days,
    )
