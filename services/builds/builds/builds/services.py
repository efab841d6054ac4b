"""Build writes: create, refs, extra ids, uploads, commit, publish, purge, check reviews, and
what the jobs report back (``*_succeeded``/``*_failed``, check results).

Every state change goes through ``states.transition`` on a build locked with
``select_for_update`` (the one table of allowed transitions, a history row each); events are
recorded in the same transaction (the outbox). Commit and publish are safe to retry: asking
again for a build already committing/committed (or publishing/published) answers the job that
does or did it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from builds.builds import events
from builds.builds.creators import SYSTEM, Actor
from builds.builds.errors import BuildErrorCode
from builds.builds.models import (
    CHECK_FINISHED,
    CHECK_PASSED,
    Build,
    BuildRef,
    Check,
    CheckStatus,
    PublishedState,
    RepoState,
    StateField,
)
from builds.builds.refs import InvalidRef, parse_ref
from builds.builds.states import record_creation, transition, wrong_state
from builds.jobs.models import Job, JobKind
from builds.jobs.services import job_create
from builds.repos.models import Repository
from builds.storage import tools
from builds.storage.layout import Storage
from builds.storage.names import InvalidUploadName, is_checksum, parse_upload_name
from builds.storage.objects import ObjectTooLarge, StoredPart, store_part
from builds.validation import EXTRA_ID, FLATPAK_ID, ID_PREFIX, invalid, matches
from servicekit.envelope.errors import ApplicationError, NotFound
from servicekit.events import publish

logger = logging.getLogger(__name__)

REPO, PUBLISHED = StateField.REPO, StateField.PUBLISHED
IN_USE_MESSAGE = "Can't prune build while in use"  # flat-manager's words; its client relies on them
MAX_EXTRA_IDS = 100


# -- creating and filling a build ----------------------------------------------------------


@transaction.atomic
def build_create(
    *,
    repository: Repository,
    actor: Actor,
    app_id: str | None = None,
    public_download: bool | None = None,
    build_log_url: str = "",
    token_type: str | None = None,
) -> Build:
    """A build in ``uploading`` with its build repository and upload area on disk.

    ``public_download`` defaults to true for a build without an app id (flat-manager's rule).
    """
    if app_id is not None and not matches(FLATPAK_ID, app_id):
        raise invalid("app_id", "A Flatpak id such as org.example.App.")
    if public_download is not None and not isinstance(public_download, bool):
        raise invalid("public_download", "true or false.")
    build = Build.objects.create(
        repository=repository,
        app_id=app_id or "",
        public_download=(app_id is None) if public_download is None else public_download,
        build_log_url=_url(build_log_url, "build_log_url"),
        creator_user_id=actor.user_id or "",
        creator_token_sub=actor.token_sub or "",
        creator_name=actor.name[:255],
        token_type=token_type or "",
    )
    record_creation(build, actor=actor.label)
    _init_build_storage(build)
    publish("builds.build.created", subject=build.id, data=events.build_created(build))
    return build


def _init_build_storage(build: Build) -> None:
    storage = Storage.configured()
    main = storage.repository(build.repository.name)
    collection_id = build.repository.collection_id
    tools.init_repo(
        storage.build(build.id),
        parent=main,
        collection_id=f"{collection_id}.Build{build.id}" if collection_id else None,
    )
    tools.init_repo(storage.upload_area(build.id), parent=main)


@transaction.atomic
def build_ref_create(*, build_id: int, ref_name: str, commit: str, build_log_url: str = "") -> BuildRef:
    """Name a ref the build provides (while uploading); the same ref again replaces its commit."""
    try:
        parse_ref(ref_name)
    except InvalidRef as error:
        raise ApplicationError(
            str(error), code=BuildErrorCode.INVALID_REF, details={"ref": [str(error)]}
        ) from None
    if not is_checksum(commit):
        raise invalid("commit", "A commit checksum: 64 lower-case hex digits.")
    build = _locked_build(build_id)
    _require_uploading(build, "add refs")
    build_ref, _ = BuildRef.objects.update_or_create(
        build=build,
        ref_name=ref_name,
        defaults={"commit": commit, "build_log_url": _url(build_log_url, "build_log_url")},
    )
    return build_ref


@transaction.atomic
def build_add_extra_ids(*, build_id: int, ids: Iterable[str]) -> Build:
    """Extra collection ids the build is published under (``<collection id>.<extra id>``)."""
    ids = list(ids) if isinstance(ids, list | tuple) else None
    if ids is None or len(ids) > MAX_EXTRA_IDS or not all(matches(EXTRA_ID, item) for item in ids):
        raise invalid("ids", "A list of ids made of dot-separated letters and digits.")
    build = _locked_build(build_id)
    if build.repo_state in (RepoState.PURGING, RepoState.PURGED):
        raise wrong_state(build, REPO, expected="uploading", action="add extra ids")
    if build.published_state in (PublishedState.PUBLISHING, PublishedState.PUBLISHED):
        raise wrong_state(build, PUBLISHED, expected="unpublished", action="add extra ids")
    new = [item for item in dict.fromkeys(ids) if item not in build.extra_ids]
    if new:
        build.extra_ids = [*build.extra_ids, *new]
        build.save(update_fields=["extra_ids", "updated_at"])
    return build


def build_upload(*, build: Build, parts: Iterable[tuple[str, Iterable[bytes]]]) -> list[StoredPart]:
    """Store uploaded parts (``(filename, chunks)`` as a multipart body yields them) in the
    build's upload area; one entry per part. A part already there is a no-op, so a retried batch
    is safe. Each name is validated before anything is written for it."""
    build.refresh_from_db(fields=["repo_state", "repo_state_reason"])
    _require_uploading(build, "upload")
    storage = Storage.configured()
    area, incoming = storage.upload_area(build.id), storage.incoming(build.id)
    max_bytes = settings.BUILDS["UPLOAD_MAX_OBJECT_BYTES"]
    stored = []
    for filename, chunks in parts:
        try:
            upload = parse_upload_name(filename)
        except InvalidUploadName as error:
            raise ApplicationError(
                str(error), code=BuildErrorCode.INVALID_UPLOAD_NAME, details={"filename": [str(error)]}
            ) from None
        try:
            stored.append(
                store_part(area=area, incoming=incoming, upload=upload, chunks=chunks, max_bytes=max_bytes)
            )
        except ObjectTooLarge as error:
            raise ApplicationError(
                str(error),
                code=BuildErrorCode.OBJECT_TOO_LARGE,
                details={"filename": [str(error)]},
                status_code=413,
            ) from None
    return stored


# -- commit --------------------------------------------------------------------------------


@transaction.atomic
def build_commit(
    *,
    build_id: int,
    actor: Actor,
    end_of_life: str | None = None,
    end_of_life_rebase: str | None = None,
    token_type: int | None = None,
) -> tuple[Job, bool]:
    """Queue the commit job of an uploading build; returns ``(job, created)``.

    Asked again once the build is committing or past it, with the same options, it answers the
    existing commit job (a client retrying after a dropped connection); otherwise the build's
    state is a conflict.
    """
    contents = _commit_contents(build_id, end_of_life, end_of_life_rebase, token_type)
    build = _locked_build(build_id)
    if build.repo_state != RepoState.UPLOADING:
        if build.commit_job_id and build.commit_job.contents == contents:
            return build.commit_job, False
        raise wrong_state(build, REPO, expected="uploading", action="commit")
    if not build.refs.exists():
        raise ApplicationError(
            "No refs in build: add them with build_ref first.",
            code=BuildErrorCode.NO_REFS,
            details={"refs": []},
        )
    job = job_create(kind=JobKind.COMMIT, contents=contents, repository=build.repository, build_id=build.id)
    build.commit_job = job
    build.save(update_fields=["commit_job", "updated_at"])
    transition(build, REPO, RepoState.COMMITTING, actor=actor.label, job_id=job.id, action="commit")
    return job, True


def _commit_contents(
    build_id: int, end_of_life: Any, end_of_life_rebase: Any, token_type: Any
) -> dict[str, Any]:
    if end_of_life is not None and (not isinstance(end_of_life, str) or len(end_of_life) > 1024):
        raise invalid("endoflife", "A reason of at most 1024 characters, or null.")
    if end_of_life_rebase is not None and not matches(ID_PREFIX, end_of_life_rebase):
        raise invalid("endoflife_rebase", "The id replacing this app, or null.")
    if token_type is not None and (
        not isinstance(token_type, int) or isinstance(token_type, bool) or token_type < 0
    ):
        raise invalid("token_type", "A non-negative integer, or null.")
    return {
        "build": build_id,
        "endoflife": end_of_life,
        "endoflife_rebase": end_of_life_rebase,
        "token_type": token_type,
    }


@transaction.atomic
def build_commit_succeeded(*, job: Job, committed: dict[str, str]) -> Build:
    """The commit job imported every ref: the build is ready, or validating while its
    repository's check hooks run (one check job each)."""
    build = _locked_build(job.build_id)
    for build_ref in build.refs.all():
        build_ref.committed_commit = committed.get(build_ref.ref_name, "")
        build_ref.save(update_fields=["committed_commit"])
    hooks = build.repository.parsed_check_hooks
    for hook in hooks:
        check_job = job_create(
            kind=JobKind.CHECK,
            contents={"build": build.id, "name": hook.name},
            repository=build.repository,
            build_id=build.id,
        )
        Check.objects.create(build=build, name=hook.name, job=check_job, reviewable=hook.reviewable)
    target = RepoState.VALIDATING if hooks else RepoState.READY
    transition(build, REPO, target, actor=SYSTEM, job_id=job.id, action="finish committing")
    build.committed_at = timezone.now()
    build.save(update_fields=["committed_at", "updated_at"])
    publish("builds.build.committed", subject=build.id, data=events.build_committed(build, committed))
    return build


@transaction.atomic
def build_commit_failed(*, job: Job, message: str) -> Build:
    build = _locked_build(job.build_id)
    transition(
        build, REPO, RepoState.FAILED, actor=SYSTEM, job_id=job.id, reason=message, action="fail its commit"
    )
    publish(
        "builds.build.failed",
        subject=build.id,
        data=events.build_failed(build, stage="commit", reason=message),
    )
    return build


# -- checks --------------------------------------------------------------------------------


@transaction.atomic
def check_record_result(*, job: Job, status: CheckStatus, reason: str = "", results: Any = None) -> Check:
    """What a check job found. A hook that set its own result meanwhile (through the API) keeps
    it unless the hook itself failed."""
    build = _locked_build(job.build_id)
    check = Check.objects.select_for_update().get(job=job)
    if check.status == CheckStatus.PENDING or status == CheckStatus.FAILED:
        _set_check(build, check, status, reason=reason, results=results)
    _settle_checks(build, job_id=job.id)
    return check


@transaction.atomic
def check_review(
    *, build_id: int, name: str, status: CheckStatus, reviewer: Actor, results: Any = None
) -> Check:
    """A reviewer's verdict on a reviewable check of a validating build."""
    if status not in CHECK_FINISHED:
        raise invalid("status", "passed, passed_with_warnings or failed.")
    build = _locked_build(build_id)
    check = Check.objects.select_for_update().filter(build=build, name=name).first()
    if check is None:
        raise NotFound(f"Build {build_id} has no check {name}.", code=BuildErrorCode.NOT_FOUND)
    if not check.reviewable:
        raise ApplicationError(
            f"The {name} check is not reviewable.", code=BuildErrorCode.CHECK_NOT_REVIEWABLE, status_code=409
        )
    if build.repo_state != RepoState.VALIDATING:
        raise wrong_state(build, REPO, expected="validating", action="review its checks")
    check.reviewed_by = reviewer.label
    _set_check(build, check, status, reason=f"reviewed by {reviewer.label}", results=results)
    _settle_checks(build, job_id=check.job_id, actor=reviewer.label)
    return check


def _set_check(build: Build, check: Check, status: CheckStatus, *, reason: str, results: Any) -> None:
    check.status, check.status_reason = status, reason
    if results is not None:
        check.results = results
    check.save()
    if status == CheckStatus.FAILED and build.repo_state == RepoState.VALIDATING:  # not for a purged build
        publish("builds.check.failed", subject=build.id, data=events.check_failed(build, check))


def _settle_checks(build: Build, *, job_id: int, actor: str = SYSTEM) -> None:
    """Once every check of a validating build is finished: ready if none failed, else failed.
    (A check waiting for review is not finished.)"""
    if build.repo_state != RepoState.VALIDATING:
        return
    checks = list(build.checks.all())
    if not all(check.status in CHECK_FINISHED for check in checks):
        return
    failing = [check.name for check in checks if check.status not in CHECK_PASSED]
    if not failing:
        transition(build, REPO, RepoState.READY, actor=actor, job_id=job_id, action="pass its checks")
        return
    reason = f"{len(failing)} out of {len(checks)} checks failed ({', '.join(failing)})"
    transition(
        build, REPO, RepoState.FAILED, actor=actor, job_id=job_id, reason=reason, action="fail its checks"
    )
    publish(
        "builds.build.failed", subject=build.id, data=events.build_failed(build, stage="check", reason=reason)
    )


# -- publish -------------------------------------------------------------------------------


@transaction.atomic
def build_publish(*, build_id: int, actor: Actor) -> tuple[Job, bool]:
    """Queue the publish job of a ready build whose checks all passed; returns ``(job, created)``.

    A build already publishing or published answers its publish job (whose results, once
    done, are ``{"refs": {...}, "update-repo-job": <id>}``); a failed publish may be retried.
    """
    build = _locked_build(build_id)
    if (
        build.published_state in (PublishedState.PUBLISHING, PublishedState.PUBLISHED)
        and build.publish_job_id
    ):
        return build.publish_job, False
    if build.repo_state != RepoState.READY:
        raise wrong_state(build, REPO, expected="ready", action="publish")
    unpassed = [check.name for check in build.checks.all() if check.status not in CHECK_PASSED]
    if unpassed:  # a ready build's checks passed; this guards against the table changing
        raise ApplicationError(
            f"Checks have not passed: {', '.join(unpassed)}.",
            code=BuildErrorCode.CHECKS_NOT_PASSED,
            status_code=409,
            details={"checks": unpassed},
        )
    transition(build, PUBLISHED, PublishedState.PUBLISHING, actor=actor.label, action="publish")
    job = job_create(
        kind=JobKind.PUBLISH, contents={"build": build.id}, repository=build.repository, build_id=build.id
    )
    build.publish_job = job
    build.save(update_fields=["publish_job", "updated_at"])
    return job, True


@transaction.atomic
def build_publish_succeeded(*, job: Job, refs: dict[str, str], update_repo_job_id: int) -> Build:
    build = _locked_build(job.build_id)
    transition(
        build, PUBLISHED, PublishedState.PUBLISHED, actor=SYSTEM, job_id=job.id, action="finish publishing"
    )
    build.published_at = timezone.now()
    build.save(update_fields=["published_at", "updated_at"])
    for build_ref in build.refs.all():
        if build_ref.ref_name in refs:
            build_ref.published_commit = refs[build_ref.ref_name]
            build_ref.save(update_fields=["published_commit"])
    publish(
        "builds.build.published",
        subject=build.id,
        data=events.build_published(build, refs, update_repo_job_id),
    )
    return build


@transaction.atomic
def build_publish_failed(*, job: Job, message: str) -> Build:
    build = _locked_build(job.build_id)
    transition(
        build,
        PUBLISHED,
        PublishedState.FAILED,
        actor=SYSTEM,
        job_id=job.id,
        reason=message,
        action="fail publishing",
    )
    publish(
        "builds.build.failed",
        subject=build.id,
        data=events.build_failed(build, stage="publish", reason=message),
    )
    return build


def builds_retire_beyond_retention(*, build_id: int) -> list[int]:
    """Purge the published builds that ``build``'s publication pushed beyond its repository's
    retention: those for which every ref already has ``retention_count`` newer published builds
    (purged builds do not count). Each purge is its own transaction; returns the purged ids."""
    from builds.builds.selectors import builds_beyond_retention

    purged = []
    for old_id in builds_beyond_retention(build_id=build_id):
        try:
            build_purge(build_id=old_id, actor=Actor(name="retention"), reason="retention")
        except ApplicationError as error:  # it changed meanwhile (purged, in use): leave it
            logger.info("build %s not retired: %s", old_id, error)
            continue
        purged.append(old_id)
    return purged


# -- purge ---------------------------------------------------------------------------------


@transaction.atomic
def build_purge(*, build_id: int, actor: Actor, reason: str = "requested") -> Build:
    """Delete the build's repository (idempotent: a purged build is answered as it is).

    Refused while the build is in use (committing, purging, publishing). One transaction holds
    the build's lock while its directory is removed: if that fails, the build is failed with
    the reason; if the process dies, nothing changed and purging again finishes the job.
    """
    build = _locked_build(build_id)
    if build.repo_state == RepoState.PURGED:
        return build
    if build.published_state == PublishedState.PUBLISHING:
        raise wrong_state(build, PUBLISHED, expected="unpublished", action="purge", message=IN_USE_MESSAGE)
    if build.repo_state in (RepoState.COMMITTING, RepoState.PURGING):
        raise wrong_state(build, REPO, expected="ready", action="purge", message=IN_USE_MESSAGE)
    transition(build, REPO, RepoState.PURGING, actor=actor.label, reason=reason, action="purge")
    try:
        shutil.rmtree(Storage.configured().build(build.id))
    except FileNotFoundError:
        pass
    except OSError as error:
        message = f"Failed to purge build: {error}"
        transition(build, REPO, RepoState.FAILED, actor=SYSTEM, reason=message, action="fail purging")
        publish(
            "builds.build.failed",
            subject=build.id,
            data=events.build_failed(build, stage="purge", reason=message),
        )
        return build
    transition(build, REPO, RepoState.PURGED, actor=actor.label, reason=reason, action="finish purging")
    publish("builds.build.purged", subject=build.id, data=events.build_purged(build, reason=reason))
    return build


# -- helpers -------------------------------------------------------------------------------


def _locked_build(build_id: Any) -> Build:
    build = (
        Build.objects.select_for_update(of=("self",))
        .select_related("repository", "commit_job", "publish_job")
        .filter(id=build_id)
        .first()
        if isinstance(build_id, int) and not isinstance(build_id, bool)
        else None
    )
    if build is None:
        raise NotFound(f"No build {build_id}.", code=BuildErrorCode.NOT_FOUND)
    return build


def _require_uploading(build: Build, action: str) -> None:
    if build.repo_state != RepoState.UPLOADING:
        raise wrong_state(build, REPO, expected="uploading", action=action)


def _url(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 2048:
        raise invalid(field, "A URL of at most 2048 characters.")
    return value
