"""Build reads: a build with its refs and checks, lists, missing objects, retention."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from builds.builds.errors import BuildErrorCode
from builds.builds.models import (
    Build,
    BuildRef,
    BuildStateChange,
    Check,
    PublishedState,
    RepoState,
    StateField,
)
from builds.builds.states import wrong_state
from builds.storage.layout import Storage
from builds.storage.names import InvalidUploadName, parse_object_name
from builds.storage.objects import present_in
from builds.tokens.claims import Claims, allows_every_id, sub_covers
from builds.validation import invalid
from servicekit.envelope.errors import ApplicationError, NotFound

# The protocol's client asks about at most 2000 objects a request.
MAX_WANTED_OBJECTS = 10_000


@dataclass(frozen=True)
class BuildExtended:
    build: Build
    refs: list[BuildRef]
    checks: list[Check]


def build_get(*, build_id: int) -> Build:
    build = (
        Build.objects.select_related("repository").filter(id=build_id).first() if _is_id(build_id) else None
    )
    if build is None:
        raise NotFound(f"No build {build_id}.", code=BuildErrorCode.NOT_FOUND)
    return build


def build_extended(*, build_id: int) -> BuildExtended:
    build = build_get(build_id=build_id)
    return BuildExtended(build, list(build.refs.all()), list(build.checks.select_related("job")))


def build_list(
    *, repository: str | None = None, app_id: str | None = None, include_purged: bool = False
) -> QuerySet[Build]:
    builds = Build.objects.select_related("repository")
    if repository is not None:
        builds = builds.filter(repository__name=repository)
    if app_id is not None:
        builds = builds.filter(app_id=app_id)
    return builds if include_purged else builds.exclude(repo_state=RepoState.PURGED)


def builds_visible(
    builds: QuerySet[Build], *, staff: bool, user_id: str | None, claims: Claims | None
) -> QuerySet[Build]:
    """The builds of ``builds`` a caller may read (see ``access.authorize_caller``)."""
    if claims is not None:
        return builds.filter(_claims_filter(claims))
    if staff:
        return builds
    mine = Q(creator_user_id=user_id) if user_id else Q(pk__in=[])
    return builds.filter(Q(repository__is_public=True) | mine)


def _claims_filter(claims: Claims) -> Q:
    """A token's reach as a query: its subject (``build`` or ``build/<id>``), repositories and ids."""
    if sub_covers(claims.sub, "build"):
        scope = Q()
    elif claims.sub.startswith("build/") and claims.sub[6:].isdigit():
        scope = Q(id=int(claims.sub[6:]))
    else:
        return Q(pk__in=[])
    if "" not in claims.repos:
        scope &= Q(repository__name__in=list(claims.repos))
    if not allows_every_id(claims):
        ids = Q(app_id="") | Q(app_id__in=list(claims.apps))
        for prefix in claims.prefixes:
            ids |= Q(app_id=prefix) | Q(app_id__startswith=f"{prefix}.")
        scope &= ids
    return scope


def build_ref_get(*, build_id: int, ref_id: int) -> BuildRef:
    build_ref = BuildRef.objects.filter(build_id=build_id, id=ref_id).first() if _is_id(ref_id) else None
    if build_ref is None:
        raise NotFound(f"Build {build_id} has no ref {ref_id}.", code=BuildErrorCode.NOT_FOUND)
    return build_ref


def check_get(*, build_id: int, name: str) -> Check:
    check = Check.objects.select_related("job").filter(build_id=build_id, name=name).first()
    if check is None:
        raise NotFound(f"Build {build_id} has no check {name}.", code=BuildErrorCode.NOT_FOUND)
    return check


def build_history(*, build_id: int) -> QuerySet[BuildStateChange]:
    return BuildStateChange.objects.filter(build_id=build_id)


def build_missing_objects(*, build: Build, wanted: Iterable[str]) -> list[str]:
    """The wanted objects that are neither in the build's upload area nor in its main
    repository (in the order asked). Only while the build is uploading."""
    wanted = list(wanted) if isinstance(wanted, list | tuple) else None
    if wanted is None or len(wanted) > MAX_WANTED_OBJECTS:
        raise invalid("wanted", f"A list of at most {MAX_WANTED_OBJECTS} object names.")
    if build.repo_state != RepoState.UPLOADING:
        raise wrong_state(build, StateField.REPO, expected="uploading", action="look for missing objects")
    try:
        names = [parse_object_name(name) for name in wanted]
    except InvalidUploadName as error:
        raise ApplicationError(
            str(error), code=BuildErrorCode.INVALID_UPLOAD_NAME, details={"wanted": [str(error)]}
        ) from None
    storage = Storage.configured()
    roots = (storage.upload_area(build.id), storage.repository(build.repository.name))
    return [name.name for name in names if not present_in(roots, name)]


def builds_beyond_retention(*, build_id: int) -> list[int]:
    """Published, unpurged builds of ``build``'s repository sharing a ref with it, each of whose
    refs has at least ``retention_count`` newer published, unpurged builds."""
    build = build_get(build_id=build_id)
    keep = build.repository.retention_count
    published = (
        Build.objects.filter(repository_id=build.repository_id, published_state=PublishedState.PUBLISHED)
        .exclude(repo_state__in=[RepoState.PURGING, RepoState.PURGED])
        .order_by("-published_at", "-id")
    )
    refs_of: dict[int, set[str]] = {}
    for build_ref in BuildRef.objects.filter(build__in=published).values_list("build_id", "ref_name"):
        refs_of.setdefault(build_ref[0], set()).add(build_ref[1])
    newer_count: dict[str, int] = {}  # ref → published builds seen so far (newest first)
    beyond = []
    mine = refs_of.get(build.id, set())
    for candidate in published.values_list("id", flat=True):
        refs = refs_of.get(candidate, set())
        if (
            candidate != build.id
            and refs
            and refs & mine
            and all(newer_count.get(ref, 0) >= keep for ref in refs)
        ):
            beyond.append(candidate)
        for ref in refs:
            newer_count[ref] = newer_count.get(ref, 0) + 1
    return beyond


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
