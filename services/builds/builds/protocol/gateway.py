"""Answers to the gateway's ``auth_request`` subrequests (``/internal/builds/...``): may the
credentials of the original request (its Authorization header, its URI in ``X-Original-URI``)
download this file, or send this upload? nginx reads only the status: 200 yes, 401 no
credentials (or bad ones), 403 no (the gateway answers 404 for a download, so a private build
is not revealed). The gateway never routes ``/internal/`` from outside; these answers reveal no
more than the download or upload itself would.

- ``/repo/<name>/…``: a public repository, anyone; a private one, staff or a build token with
  the ``download`` scope for it.
- ``/build-repo/<id>/…``: a build with public downloads, anyone; otherwise staff, the identity
  user who created it, or a build token that may read the build or download from it. The 200
  names the build's main repository (``X-Builds-Repository``), which nginx falls back to.
- ``/flat-manager/api/v1/build/<id>/upload``: a build token with the ``upload`` scope for the
  build (the upload view checks everything again, and the build's state).
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import AuthenticationFailed

from builds.builds.access import BuildOperation, authorize_build
from builds.builds.models import Build, RepoState
from builds.repos.models import Repository
from builds.tokens.authentication import is_build_token
from builds.tokens.claims import Claims, Scope, TokenInsufficient, repo_allowed, require
from builds.tokens.errors import TokenInvalid
from builds.tokens.selectors import token_verify
from servicekit.auth.authentication import credentials_for
from servicekit.auth.principal import Principal
from servicekit.auth.tokens import verify_access_token

REPO_URI = re.compile(r"/repo/(?P<name>[A-Za-z0-9][A-Za-z0-9_-]{0,63})/")
BUILD_REPO_URI = re.compile(r"/build-repo/(?P<id>[1-9][0-9]{0,17})/")
UPLOAD_URI = re.compile(r"/flat-manager/api/v1/build/(?P<id>[1-9][0-9]{0,17})/upload(\?.*)?")

Caller = Claims | Principal | None


class Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _caller(request: HttpRequest) -> Caller:
    token = credentials_for(request, "Bearer")
    if not token:
        return None
    try:
        return token_verify(token) if is_build_token(token) else verify_access_token(token)
    except (TokenInvalid, AuthenticationFailed):
        raise Refused(401) from None


def _answer(check, request: HttpRequest) -> HttpResponse:
    try:
        headers = check(request.headers.get("X-Original-URI", ""), _caller(request)) or {}
    except Refused as refusal:
        return HttpResponse(status=refusal.status)
    response = HttpResponse(status=200)
    for name, value in headers.items():
        response[name] = value
    return response


def _refuse(caller: Caller) -> Refused:
    return Refused(401 if caller is None else 403)


def _download(uri: str, caller: Caller) -> dict[str, str] | None:
    if match := REPO_URI.match(uri):
        repository = Repository.objects.filter(name=match["name"]).first()
        if repository is None:
            raise Refused(403)
        if not (repository.is_public or _may_download_repo(caller, repository)):
            raise _refuse(caller)
        return None
    if match := BUILD_REPO_URI.match(uri):
        build = Build.objects.select_related("repository").filter(id=int(match["id"])).first()
        if build is None or build.repo_state in (RepoState.PURGING, RepoState.PURGED):
            raise Refused(403)
        if not (build.public_download or _may_download_build(caller, build)):
            raise _refuse(caller)
        return {"X-Builds-Repository": build.repository.name}
    raise Refused(403)


def _may_download_repo(caller: Caller, repository: Repository) -> bool:
    if isinstance(caller, Principal):
        return caller.is_staff
    return caller is not None and Scope.DOWNLOAD in caller.scope and repo_allowed(caller, repository.name)


def _may_download_build(caller: Caller, build: Build) -> bool:
    if isinstance(caller, Principal):
        return caller.is_staff or (bool(build.creator_user_id) and build.creator_user_id == caller.id)
    if caller is None:
        return False
    for scopes in (BuildOperation.READ.value, (Scope.DOWNLOAD,)):
        try:
            require(caller, sub=f"build/{build.id}", scopes=scopes)
            if repo_allowed(caller, build.repository.name):
                return True
        except TokenInsufficient:
            continue
    return False


def _upload(uri: str, caller: Caller) -> None:
    match = UPLOAD_URI.fullmatch(uri)
    if match is None:
        raise Refused(403)
    if not isinstance(caller, Claims):
        raise _refuse(caller)
    build = Build.objects.select_related("repository").filter(id=int(match["id"])).first()
    if build is None:
        raise Refused(403)  # the upload view would answer not-found; nginx can only say 403
    try:
        authorize_build(caller, build, BuildOperation.UPLOAD)
    except TokenInsufficient:
        raise Refused(403) from None


def authorize_download(request: HttpRequest) -> HttpResponse:
    return _answer(_download, request)


def authorize_upload(request: HttpRequest) -> HttpResponse:
    return _answer(_upload, request)
