"""Repository writes: create (with its main repository on disk), update, and the jobs that
change a published repository as a whole: republish an app, prune old history."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from builds.jobs.models import Job, JobKind
from builds.jobs.services import job_create, waiting_job
from builds.repos.errors import RepositoryErrorCode
from builds.repos.hooks import InvalidHook, parse_check_hooks, parse_publish_hook
from builds.repos.models import Repository
from builds.storage import tools
from builds.storage.layout import REPOSITORY_NAME, Storage
from builds.validation import BRANCH, COLLECTION_ID, FLATPAK_ID, ID_PREFIX, invalid, matches
from servicekit.envelope.errors import Conflict

MAX_RETENTION = 1000
UPDATABLE = ("title", "default_branch", "is_public", "retention_count", "check_hooks", "publish_hook")
# Changing these changes what build-update-repo writes into the summary.
SUMMARY_FIELDS = frozenset({"title", "default_branch"})


@transaction.atomic
def repository_create(
    *,
    name: str,
    title: str = "",
    default_branch: str = "stable",
    collection_id: str = "",
    is_public: bool = True,
    retention_count: int = 3,
    check_hooks: Any = None,
    publish_hook: Any = None,
) -> Repository:
    """A repository and its empty, pullable main repository (``repos/<name>/``)."""
    if not matches(REPOSITORY_NAME, name):
        raise invalid("name", "1 to 64 letters, digits, _ and -, starting with a letter or digit.")
    if collection_id and not matches(COLLECTION_ID, collection_id):
        raise invalid("collection_id", "A reverse-DNS id such as org.example.Repo.")
    values = _validated(
        {
            "title": title,
            "default_branch": default_branch,
            "is_public": is_public,
            "retention_count": retention_count,
            "check_hooks": check_hooks,
            "publish_hook": publish_hook,
        }
    )
    try:
        with transaction.atomic():
            repository = Repository.objects.create(name=name, collection_id=collection_id or "", **values)
    except IntegrityError:
        raise Conflict(
            f"A repository named {name} exists.",
            code=RepositoryErrorCode.NAME_TAKEN,
            details={"name": [name]},
        ) from None
    path = Storage.configured().repository(name)
    tools.init_repo(path, collection_id=repository.collection_id or None)
    tools.update_repo(
        path,
        title=repository.title,
        default_branch=repository.default_branch,
        collection_id=repository.collection_id or None,
    )
    return repository


@transaction.atomic
def repository_update(*, repository: Repository, **changes: Any) -> Repository:
    """Change any of ``UPDATABLE`` (the name and collection id are fixed at creation); a new
    title or default branch reaches the summary through an update-repo job."""
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise invalid(unknown[0], "This field cannot be changed.")
    repository = Repository.objects.select_for_update().get(pk=repository.pk)
    changed = {key: value for key, value in _validated(changes).items() if getattr(repository, key) != value}
    for key, value in changed.items():
        setattr(repository, key, value)
    if changed:
        repository.save(update_fields=[*changed, "updated_at"])
    if SUMMARY_FIELDS & set(changed):
        from builds.jobs.services import update_repo_job_schedule

        update_repo_job_schedule(repository=repository)
    return repository


@transaction.atomic
def repository_republish(
    *,
    repository: Repository,
    app_id: str,
    end_of_life: str | None = None,
    end_of_life_rebase: str | None = None,
) -> Job:
    """Queue a republish job (flat-manager's kind 3): every published ref of ``app_id`` in the
    repository gets a new commit with the same content (and the end-of-life marks given), the
    publish hook runs on it, and an update-repo job refreshes the summary."""
    if not matches(FLATPAK_ID, app_id):
        raise invalid("app", "A Flatpak id such as org.example.App.")
    if end_of_life is not None and (not isinstance(end_of_life, str) or len(end_of_life) > 1024):
        raise invalid("endoflife", "A reason of at most 1024 characters, or null.")
    if end_of_life_rebase is not None and not matches(ID_PREFIX, end_of_life_rebase):
        raise invalid("endoflife_rebase", "The id replacing this app, or null.")
    return job_create(
        kind=JobKind.REPUBLISH,
        contents={"app": app_id, "endoflife": end_of_life, "endoflife_rebase": end_of_life_rebase},
        repository=repository,
    )


@transaction.atomic
def repository_prune(*, repository: Repository) -> tuple[Job, bool]:
    """Queue a prune job (flat-manager's kind 5): delete the objects of the main repository
    that no ref reaches within its retention (``retention_count`` commits per ref). A prune
    not started yet is shared; returns ``(job, created)``."""
    waiting = waiting_job(repository=repository, kind=JobKind.PRUNE)
    if waiting is not None:
        return waiting, False
    return job_create(kind=JobKind.PRUNE, contents={}, repository=repository), True


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "title" in values and (not isinstance(values["title"], str) or len(values["title"]) > 255):
        raise invalid("title", "At most 255 characters.")
    if "default_branch" in values and not matches(BRANCH, values["default_branch"]):
        raise invalid("default_branch", "A branch name such as stable.")
    if "is_public" in values and not isinstance(values["is_public"], bool):
        raise invalid("is_public", "true or false.")
    if "retention_count" in values:
        count = values["retention_count"]
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_RETENTION:
            raise invalid("retention_count", f"A whole number from 1 to {MAX_RETENTION}.")
    try:
        if "check_hooks" in values:
            clean["check_hooks"] = [hook.as_json() for hook in parse_check_hooks(values["check_hooks"])]
        if "publish_hook" in values:
            hook = parse_publish_hook(values["publish_hook"])
            clean["publish_hook"] = hook.as_json() if hook else None
    except InvalidHook as error:
        raise invalid(error.field, str(error)) from None
    return clean
