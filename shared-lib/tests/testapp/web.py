"""A staff-only web area signed in with servicekit.websession, for its tests."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path

from servicekit.envelope.errors import NotFound
from servicekit.websession import WebSession, session_urlpatterns, signed_in

AREA = WebSession(
    name="testsvc_web",
    path="/web/",
    url_prefix="web",
    home="web-home",
    login_template="testapp/web_login.html",
    error_template="testapp/web_error.html",
    staff_only=True,
    staff_only_message="This area is for staff.",
)


@signed_in(AREA)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "testapp/web_page.html")


@signed_in(AREA)
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"data": {"id": str(request.web_session.principal.id)}})


@signed_in(AREA)
def missing(request: HttpRequest) -> HttpResponse:
    raise NotFound("No such thing.")


@signed_in(AREA)
def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [
    path("", home, name="web-home"),
    *session_urlpatterns(AREA),
    path("whoami/", whoami, name="web-whoami"),
    path("missing/", missing, name="web-missing"),
    path("forbidden/", forbidden, name="web-forbidden"),
]
