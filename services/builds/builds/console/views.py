"""The console's pages and actions. Thin: each reads through ``console.selectors`` or acts
through the builds domain's services, which keep every rule (states, checks, locks, events)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import AuthenticationFailed

from builds.builds import services as build_services
from builds.builds.creators import Actor
from builds.builds.models import CHECK_FINISHED, CheckStatus, PublishedState, RepoState
from builds.console import selectors
from builds.console.identity import session_end
from builds.console.session import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    clear_session_cookies,
    session_from_request,
    session_start,
    set_session_cookies,
)
from builds.jobs.selectors import job_log_since
from builds.jobs.streams import follow_log
from servicekit.envelope.errors import ApplicationError
from servicekit.envelope.meta import build_meta
from servicekit.envelope.views import error_response

LOGIN_URL_NAME = "console-login"
REVIEW_VERDICTS = {CheckStatus(status).label: CheckStatus(status) for status in CHECK_FINISHED}
MAX_LOG_CHARS = 256 * 1024  # one poll's worth; the follower asks again from the new offset


# -- signing in ----------------------------------------------------------------------------


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Runs ``view`` for a signed-in user (``request.console``); a page of its own for a
    missing object (404) or a forbidden action (403); rotated tokens go back as cookies."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            session = session_from_request(request)
        except ApplicationError as exc:  # identity's signing keys unreachable
            return _error_page(request, exc.status_code, exc.message, exc.code)
        if session is None:
            return _signed_out(request)
        request.console = session
        try:
            response = view(request, *args, **kwargs)
        except ApplicationError as exc:
            response = _error_page(request, exc.status_code, exc.message, exc.code)
        except PermissionDenied:
            response = _error_page(request, 403, "Only staff may do this.", "permission_denied")
        if session.renewed is not None:
            set_session_cookies(response, session.renewed, secure=request.is_secure())
        return response

    return wrapper


def _signed_out(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        response = error_response(401, "not_authenticated", "Sign in to the console first.")
    else:
        login = reverse(LOGIN_URL_NAME)
        query = urlencode({"next": request.get_full_path()})
        response = redirect(f"{login}?{query}" if request.method == "GET" else login)
    if ACCESS_COOKIE in request.COOKIES or REFRESH_COOKIE in request.COOKIES:
        clear_session_cookies(response)
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error_page(request: HttpRequest, status: int, message: str, code: str) -> HttpResponse:
    if _wants_json(request):
        return error_response(status, str(code), message)
    return render(request, "console/error.html", {"status": status, "message": message}, status=status)


def _safe_next(candidate: Any) -> str:
    """Where to go after signing in: a console page, never another site."""
    fallback = reverse("console-dashboard")
    if not isinstance(candidate, str) or not candidate.startswith("/builds/"):
        return fallback
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=None):
        return fallback
    return candidate


@require_GET
@ensure_csrf_cookie
def login_page(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request.GET.get("next"))
    try:
        session = session_from_request(request)
    except ApplicationError:  # identity's keys unreachable: signing in again is still offered
        session = None
    if session is None:
        return render(request, "console/login.html", {"next": next_url})
    response = redirect(next_url)
    if session.renewed is not None:
        set_session_cookies(response, session.renewed, secure=request.is_secure())
    return response


@require_POST
def session_create(request: HttpRequest) -> HttpResponse:
    """Takes the pair identity issued to the login page's script and keeps it in cookies."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return error_response(400, "validation_error", "A JSON object with access and refresh.")
    try:
        session = session_start(access=body.get("access"), refresh=body.get("refresh"))
    except AuthenticationFailed as exc:
        return error_response(401, "not_authenticated", str(exc.detail), {"access": [str(exc.detail)]})
    except ApplicationError as exc:
        return error_response(exc.status_code, exc.code, exc.message)
    response = JsonResponse(
        {
            "data": {"next": _safe_next(body.get("next")), "staff": session.is_staff},
            "meta": build_meta(),
        }
    )
    set_session_cookies(response, session.renewed, secure=request.is_secure())
    return response


@require_POST
def session_delete(request: HttpRequest) -> HttpResponse:
    if refresh := request.COOKIES.get(REFRESH_COOKIE):
        session_end(refresh=refresh)
    response = redirect(LOGIN_URL_NAME)
    clear_session_cookies(response)
    return response


# -- pages ---------------------------------------------------------------------------------


def _principal(request: HttpRequest):
    return request.console.principal


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
    if not request.console.is_staff:
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
