"""The console's pages and actions. Thin: each reads through ``console.selectors`` or acts
through the builds domain's services, which keep every rule (states, checks, locks, events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from builds.builds import services as build_services
from builds.builds.creators import Actor
from builds.builds.models import CHECK_FINISHED, CheckStatus, PublishedState, RepoState
from builds.console import selectors
from builds.console.session import CONSOLE
from builds.jobs.selectors import job_log_since
from builds.jobs.streams import follow_log
from servicekit.envelope.errors import ApplicationError
from servicekit.envelope.meta import build_meta
from servicekit.envelope.views import error_response
from servicekit.websession import signed_in as signed_in_to

REVIEW_VERDICTS = {CheckStatus(status).label: CheckStatus(status) for status in CHECK_FINISHED}
MAX_LOG_CHARS = 256 * 1024  # one poll's worth; the follower asks again from the new offset


# Every page and action is for a signed-in user (request.web_session); sign-in itself is
# servicekit.websession's (urls.py).
signed_in = signed_in_to(CONSOLE)


# -- pages ---------------------------------------------------------------------------------


def _principal(request: HttpRequest):
    return request.web_session.principal


@require_GET
@signed_in
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/dashboard.html",
        {"dashboard": selectors.console_dashboard(principal=_principal(request))},
    )


@require_GET
@signed_in
def repository_list(request: HttpRequest) -> HttpResponse:
    repositories = selectors.console_repositories(principal=_principal(request))
    return render(request, "console/repository_list.html", {"repositories": repositories})


@require_GET
@signed_in
def repository_detail(request: HttpRequest, name: str) -> HttpResponse:
    principal = _principal(request)
    repository = selectors.console_repository(principal=principal, name=name)
    builds = selectors.console_builds(principal=principal, repository=repository.name)[:100]
    return render(request, "console/repository_detail.html", {"repository": repository, "builds": builds})


@require_GET
@signed_in
def build_detail(request: HttpRequest, build_id: int) -> HttpResponse:
    page = selectors.console_build(principal=_principal(request), build_id=build_id)
    build = page.extended.build
    context = {
        "page": page,
        "build": build,
        "jobs": [_with_log(job) for job in page.jobs],
        "can_publish": build.repo_state == RepoState.READY
        and build.published_state in (PublishedState.UNPUBLISHED, PublishedState.FAILED),
        "can_purge": build.repo_state != RepoState.PURGED,
        "reviewing": build.repo_state == RepoState.VALIDATING,
        "verdicts": list(REVIEW_VERDICTS),
    }
    return render(request, "console/build_detail.html", context)


def _with_log(job) -> dict[str, Any]:
    """A job with its log so far (the tail, when long) and the offset its follower goes on from."""
    text = job_log_since(job_id=job.id)
    return {"job": job, "log": text[-MAX_LOG_CHARS:], "offset": len(text)}


def _offset(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


@require_GET
@signed_in
def job_log(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's log after ``?offset=`` (characters), for the page's follower when it polls."""
    job = selectors.console_job(principal=_principal(request), job_id=job_id)
    raw = request.GET.get("offset", "0")
    offset = _offset(raw)
    if offset is None:
        return error_response(400, "validation_error", "offset: a non-negative integer.", {"offset": [raw]})
    text = job_log_since(job_id=job.id, offset=offset)[:MAX_LOG_CHARS]
    data = {
        "log": text,
        "offset": offset + len(text),
        "status": job.get_status_display(),
        "finished": job.is_finished and offset + len(text) >= job.log_length,
    }
    return JsonResponse({"data": data, "meta": build_meta()})


@require_GET
@signed_in
def job_events(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's log as a Server-Sent-Events stream (the API's, ``builds.jobs.streams``) for the
    page's EventSource, which reconnects with ``Last-Event-ID`` (the offset it has)."""
    job = selectors.console_job(principal=_principal(request), job_id=job_id)
    raw = request.headers.get("Last-Event-ID") or request.GET.get("offset", "0")
    offset = _offset(raw)
    if offset is None:
        return error_response(400, "validation_error", "offset: a non-negative integer.", {"offset": [raw]})
    # The stream reads through its own async connections: this request's goes back now.
    connection.close()
    return follow_log(job_id=job.id, offset=offset)


# -- staff actions -------------------------------------------------------------------------


def _staff_actor(request: HttpRequest) -> Actor:
    if not request.web_session.is_staff:
        raise PermissionDenied
    return Actor.from_user(_principal(request).id, name="console")


def _act(request: HttpRequest, build_id: int, action: Callable[[], str]) -> HttpResponse:
    try:
        messages.success(request, action())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.message)
    return redirect("console-build-detail", build_id=build_id)


@require_POST
@signed_in
def build_publish(request: HttpRequest, build_id: int) -> HttpResponse:
    actor = _staff_actor(request)

    def publish() -> str:
        job, created = build_services.build_publish(build_id=build_id, actor=actor)
        return f"Publishing: job {job.id}." if created else f"Already publishing or published (job {job.id})."

    return _act(request, build_id, publish)


@require_POST
@signed_in
def build_purge(request: HttpRequest, build_id: int) -> HttpResponse:
    actor = _staff_actor(request)

    def purge() -> str:
        build = build_services.build_purge(build_id=build_id, actor=actor)
        return f"Build {build.id} is {build.get_repo_state_display()}."

    return _act(request, build_id, purge)


@require_POST
@signed_in
def check_review(request: HttpRequest, build_id: int, name: str) -> HttpResponse:
    actor = _staff_actor(request)
    verdict = REVIEW_VERDICTS.get(request.POST.get("status", ""))

    def review() -> str:
        if verdict is None:
            raise ApplicationError(f"Choose one of: {', '.join(REVIEW_VERDICTS)}.", code="validation_error")
        check = build_services.check_review(build_id=build_id, name=name, status=verdict, reviewer=actor)
        return f"Check {check.name}: {check.get_status_display()}."

    return _act(request, build_id, review)
