"""What a build token may do, per operation of the protocol (the layer above calls these
before the matching service or selector; each raises ``TokenInsufficient``).

- create a build: subject ``build``, scope ``build``, the repository, the app id's prefix;
- read a build: ``build/<id>`` with ``build`` or ``upload``; missing objects, uploads, refs and
  extra ids: ``upload``; commit, checks and purge: ``build``; publish: ``publish`` — each also
  needs the build's repository and app id (whose name a token without it does not learn);
- a ref's id must be within the token's prefixes or apps;
- jobs: subject ``build`` with ``jobs``; reviewing a check: ``build`` with ``reviewcheck``;
  managing tokens: subject ``""`` with ``tokenmanagement``;
- republishing an app: subject ``build`` with ``republish``, the repository and the app's id;
  pruning a repository: subject ``""`` with ``tokenmanagement``, and the repository.

People (identity's tokens, on the REST API): staff may do everything; anyone else signed in
reads the builds of public repositories and the builds they created, and changes none (a
build they may not read answers 404, as a missing one).
"""

from __future__ import annotations

from enum import Enum

from rest_framework import status

from builds.builds.errors import BuildErrorCode
from builds.builds.models import Build
from builds.builds.refs import APP, RUNTIME, Ref
from builds.tokens.claims import (
    Claims,
    Scope,
    TokenInsufficient,
    id_allowed,
    require,
    require_id,
    require_repo,
)
from servicekit.envelope.errors import ApplicationError, NotFound


class BuildOperation(Enum):
    READ = (Scope.BUILD, Scope.UPLOAD)
    UPLOAD = (Scope.UPLOAD,)
    COMMIT = (Scope.BUILD,)
    CHECKS = (Scope.BUILD,)
    PURGE = (Scope.BUILD,)
    PUBLISH = (Scope.PUBLISH,)
    REVIEW = (Scope.REVIEW_CHECK,)


def authorize_build_create(claims: Claims, *, repository: str, app_id: str | None) -> None:
    require(claims, sub="build", scopes=[Scope.BUILD])
    require_repo(claims, repository)
    if app_id is not None:
        require_id(claims, app_id)


def authorize_build(claims: Claims, build: Build, operation: BuildOperation) -> None:
    require(claims, sub=f"build/{build.id}", scopes=operation.value)
    require_repo(claims, build.repository.name)
    if build.app_id and not id_allowed(claims, build.app_id):
        raise TokenInsufficient("Build's app ID not matching prefix in token")


def authorize_ref(claims: Claims, ref: Ref) -> None:
    if ref.kind in (APP, RUNTIME):
        require_id(claims, ref.id)


def authorize_jobs(claims: Claims) -> None:
    require(claims, sub="build", scopes=[Scope.JOBS])


def authorize_check_review(claims: Claims) -> None:
    require(claims, sub="build", scopes=[Scope.REVIEW_CHECK])


def authorize_token_management(claims: Claims) -> None:
    require(claims, sub="", scopes=[Scope.TOKEN_MANAGEMENT])


def authorize_republish(claims: Claims, *, repository: str, app_id: str) -> None:
    require(claims, sub="build", scopes=[Scope.REPUBLISH])
    require_id(claims, app_id)
    require_repo(claims, repository)


def authorize_prune(claims: Claims, *, repository: str) -> None:
    require(claims, sub="", scopes=[Scope.TOKEN_MANAGEMENT])
    require_repo(claims, repository)


def user_may_read(build: Build, *, user_id: str | None) -> bool:
    return build.repository.is_public or (bool(user_id) and build.creator_user_id == user_id)


def authorize_caller(
    build: Build, operation: BuildOperation, *, claims: Claims | None, user_id: str | None, staff: bool
) -> None:
    """A build token's rules for a token; staff may do anything; others only read what they may
    see (404 otherwise, 403 for a change to a build they can see)."""
    if claims is not None:
        authorize_build(claims, build, operation)
    elif not staff:
        if not user_may_read(build, user_id=user_id):
            raise NotFound(f"No build {build.id}.", code=BuildErrorCode.NOT_FOUND)
        if operation is not BuildOperation.READ:
            raise ApplicationError(
                "Only staff or a build token may change a build.",
                code=BuildErrorCode.PERMISSION_DENIED,
                status_code=status.HTTP_403_FORBIDDEN,
            )
