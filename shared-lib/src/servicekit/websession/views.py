"""A web area's views: the ``signed_in`` decorator of its pages, and its sign-in routes (the
login page, ``session/`` keeping identity's pair in cookies, ``logout/``).

    CONSOLE = WebSession(name="builds_console", path="/builds/", url_prefix="console", ...)
    urlpatterns = [*session_urlpatterns(CONSOLE), path("", dashboard, name="console-dashboard")]

    @signed_in(CONSOLE)
    def dashboard(request): ...  # request.web_session: the SignedIn user

The login template includes ``servicekit/websession/login_form.html`` (the form and its
script, ``servicekit/websession/login.js``); the error template shows ``status`` and
``message``. Pages answer JSON (the envelope) instead when the request accepts it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import AuthenticationFailed

from servicekit.envelope.errors import ApplicationError
from servicekit.envelope.meta import build_meta
from servicekit.envelope.views import error_response
from servicekit.websession.identity import session_end
from servicekit.websession.session import WebSession

View = Callable[..., HttpResponse]


def signed_in(web: WebSession) -> Callable[[View], View]:
    """Runs the view for a signed-in user (``request.web_session``), and only for staff when
    the area is ``staff_only``; the area's error page for a missing object (404), a forbidden
    action (``PermissionDenied``, 403) or identity's keys unreachable (503); rotated tokens go
    back as cookies. A signed-out browser is sent to the login page (JSON: a 401)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                session = web.from_request(request)
            except ApplicationError as exc:  # identity's signing keys unreachable
                return error_page(request, web, exc.status_code, exc.message, exc.code)
            if session is None:
                return _signed_out(request, web)
            request.web_session = session  # type: ignore[attr-defined]
            if web.staff_only and not session.is_staff:
                response = error_page(request, web, 403, web.staff_only_message, "permission_denied")
            else:
                response = _run(view, request, web, *args, **kwargs)
            if session.renewed is not None:
                web.set_cookies(response, session.renewed, secure=request.is_secure())
            return response

        return wrapper

    return decorate


def _run(view: View, request: HttpRequest, web: WebSession, *args: Any, **kwargs: Any) -> HttpResponse:
    try:
        return view(request, *args, **kwargs)
    except ApplicationError as exc:
        return error_page(request, web, exc.status_code, exc.message, exc.code)
    except PermissionDenied:
        return error_page(request, web, 403, "Only staff may do this.", "permission_denied")


def _signed_out(request: HttpRequest, web: WebSession) -> HttpResponse:
    response: HttpResponse
    if wants_json(request):
        response = error_response(401, "not_authenticated", "Sign in first.")
    else:
        login = reverse(web.url_name("login"))
        query = urlencode({"next": request.get_full_path()})
        response = redirect(f"{login}?{query}" if request.method == "GET" else login)
    if web.has_cookies(request):
        web.clear_cookies(response)
    return response


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_page(request: HttpRequest, web: WebSession, status: int, message: str, code: str) -> HttpResponse:
    """The area's error page (or the envelope, for a request that accepts JSON)."""
    if wants_json(request):
        return error_response(status, str(code), message)
    return render(request, web.error_template, {"status": status, "message": message}, status=status)


def safe_next(web: WebSession, candidate: Any) -> str:
    """Where to go after signing in: a page of the area, never another site."""
    fallback = reverse(web.home)
    if not isinstance(candidate, str) or not candidate.startswith(web.path):
        return fallback
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=None):
        return fallback
    return candidate


@require_GET
@ensure_csrf_cookie
def login_page(request: HttpRequest, *, web: WebSession) -> HttpResponse:
    next_url = safe_next(web, request.GET.get("next"))
    try:
        session = web.from_request(request)
    except ApplicationError:  # identity's keys unreachable: signing in again is still offered
        session = None
    if session is None:
        context = {"next": next_url, "session_url": reverse(web.url_name("session-create"))}
        return render(request, web.login_template, context)
    response = redirect(next_url)
    if session.renewed is not None:
        web.set_cookies(response, session.renewed, secure=request.is_secure())
    return response


@require_POST
def session_create(request: HttpRequest, *, web: WebSession) -> HttpResponse:
    """Takes the pair identity issued to the login page's script and keeps it in cookies."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return error_response(400, "validation_error", "A JSON object with access and refresh.")
    try:
        session = web.start(access=body.get("access"), refresh=body.get("refresh"))
    except AuthenticationFailed as exc:
        return error_response(401, "not_authenticated", str(exc.detail), {"access": [str(exc.detail)]})
    except ApplicationError as exc:
        return error_response(exc.status_code, exc.code, exc.message)
    response = JsonResponse(
        {"data": {"next": safe_next(web, body.get("next")), "staff": session.is_staff}, "meta": build_meta()}
    )
    assert session.renewed is not None  # a started session always carries its pair
    web.set_cookies(response, session.renewed, secure=request.is_secure())
    return response


@require_POST
def session_delete(request: HttpRequest, *, web: WebSession) -> HttpResponse:
    if refresh := request.COOKIES.get(web.refresh_cookie):
        session_end(refresh=refresh)
    response = redirect(web.url_name("login"))
    web.clear_cookies(response)
    return response


def session_urlpatterns(web: WebSession) -> list[URLPattern]:
    """The area's sign-in routes, to include at its root: ``login/``, ``session/``, ``logout/``."""
    options = {"web": web}
    return [
        path("login/", login_page, options, name=web.url_name("login")),
        path("session/", session_create, options, name=web.url_name("session-create")),
        path("logout/", session_delete, options, name=web.url_name("session-delete")),
    ]
