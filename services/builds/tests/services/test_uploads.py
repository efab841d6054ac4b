"""Uploads into a build's upload area: names validated first, written atomically, never
overwritten (a re-upload or a retried batch is a no-op), size-limited; and missing objects."""

from __future__ import annotations

import os

import pytest

from builds.builds.selectors import MAX_WANTED_OBJECTS, build_missing_objects
from builds.builds.services import build_commit, build_publish, build_upload
from builds.storage.layout import Storage
from servicekit.envelope.errors import ApplicationError
from servicekit.testing.concurrency import results_concurrently
from tests.conftest import ACTOR, new_build, upload_app

pytestmark = pytest.mark.django_db


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _parts(app, names=None):
    return [(name, [app.object_bytes(name)]) for name in (names or app.object_names())]


def test_objects_land_at_objects_2hex_rest_readable(repository, app):
    build = new_build(repository)

    stored = build_upload(build=build, parts=_parts(app))

    area = Storage.configured().upload_area(build.id)
    assert [part.name for part in stored] == app.object_names()
    assert all(part.created for part in stored)
    for name in app.object_names():
        path = area / "objects" / name[:2] / name[2:]
        assert path.read_bytes() == app.object_bytes(name)
        assert path.stat().st_mode & 0o777 == 0o644
    assert sum(part.size for part in stored) == sum(len(app.object_bytes(n)) for n in app.object_names())
    assert not list((area / "incoming").iterdir())


def test_a_re_upload_is_a_no_op_and_never_replaces_an_object(repository, app):
    build = new_build(repository)
    build_upload(build=build, parts=_parts(app))
    name = app.object_names()[0]
    path = Storage.configured().upload_area(build.id) / "objects" / name[:2] / name[2:]
    inode = path.stat().st_ino

    again = build_upload(build=build, parts=[(name, [b"different bytes"])])

    assert [(p.name, p.created) for p in again] == [(name, False)]
    assert path.read_bytes() == app.object_bytes(name)
    assert path.stat().st_ino == inode


def test_a_batch_that_breaks_midway_is_resumed_by_retrying_it(repository, app, run_jobs):
    """The client resends the whole batch: what arrived is kept, the rest is written, the
    build commits."""
    build = new_build(repository)
    names = app.object_names()

    def interrupted():
        yield b"partial"
        raise ConnectionResetError("client went away")

    broken_batch = [*_parts(app, names[:3]), (names[3], interrupted()), *_parts(app, names[4:])]
    with pytest.raises(ConnectionResetError):
        build_upload(build=build, parts=broken_batch)
    area = Storage.configured().upload_area(build.id)
    assert not (area / "objects" / names[3][:2] / names[3][2:]).exists()  # never half an object
    assert not list((area / "incoming").iterdir())
    assert build_missing_objects(build=build, wanted=names) == names[3:]

    retried = build_upload(build=build, parts=_parts(app))

    assert [p.created for p in retried] == [False] * 3 + [True] * (len(names) - 3)
    assert build_missing_objects(build=build, wanted=names) == []
    upload_app(build, app, names=[])
    with run_jobs():
        job, _ = build_commit(build_id=build.id, actor=ACTOR)
    job.refresh_from_db()
    assert job.status == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_object_store_it_once(repository, app):
    build = new_build(repository)
    name = app.object_names()[0]

    uploads = results_concurrently(
        [lambda: build_upload(build=build, parts=[(name, [app.object_bytes(name)])])] * 4
    )

    assert sorted(p.created for parts in uploads for p in parts) == [False, False, False, True]
    area = Storage.configured().upload_area(build.id)
    assert (area / "objects" / name[:2] / name[2:]).read_bytes() == app.object_bytes(name)


@pytest.mark.parametrize(
    "name",
    [
        "../../../../repos/apps/config",
        "../config",
        "objects/ab/cd.filez",
        "/etc/passwd",
        ".." + "a" * 62 + ".filez",
        "ab" * 32 + ".filez/../../x",
        "ab" * 32 + ".exe",
    ],
)
def test_traversal_and_unknown_names_are_refused_before_anything_is_written(
    repository, app, builds_storage, name
):
    build = new_build(repository)
    before = _files(builds_storage)

    with pytest.raises(ApplicationError) as error:
        build_upload(build=build, parts=[(name, [b"payload"])])

    assert (error.value.status_code, error.value.code) == (400, "invalid_upload_name")
    assert "Invalid upload filename" in error.value.message
    assert _files(builds_storage) == before


def test_parts_larger_than_the_limit_are_refused_and_leave_nothing(repository, app, settings):
    settings.BUILDS = {**settings.BUILDS, "UPLOAD_MAX_OBJECT_BYTES": 10}
    build = new_build(repository)
    name = app.object_names()[0]

    with pytest.raises(ApplicationError) as error:
        build_upload(build=build, parts=[(name, [b"12345", b"678901"])])

    assert (error.value.status_code, error.value.code) == (413, "object_too_large")
    area = Storage.configured().upload_area(build.id)
    assert not (area / "objects" / name[:2]).exists()
    assert not list((area / "incoming").iterdir())


def test_static_delta_parts_are_stored_under_deltas(repository):
    build = new_build(repository)
    delta = "oS6QiSBxQF5nJZBVS6MJ6tCk_KN63I72Y7QipgUTh5w"

    build_upload(build=build, parts=[(f"{delta}.superblock.delta", [b"superblock"])])

    path = Storage.configured().upload_area(build.id) / "deltas" / delta[:2] / delta[2:] / "superblock"
    assert path.read_bytes() == b"superblock"


def test_missing_objects_are_those_neither_uploaded_nor_in_the_main_repository(repository, app, run_jobs):
    first = new_build(repository)
    names = app.object_names()
    assert build_missing_objects(build=first, wanted=names) == names

    build_upload(build=first, parts=_parts(app, names[:2]))
    assert build_missing_objects(build=first, wanted=names) == names[2:]
    assert build_missing_objects(build=first, wanted=list(reversed(names))) == list(reversed(names[2:]))

    upload_app(first, app)
    with run_jobs():
        build_commit(build_id=first.id, actor=ACTOR)
    with run_jobs():
        build_publish(build_id=first.id, actor=ACTOR)

    second = new_build(repository)
    # The published commit is a new one, but the files and directories are the same objects.
    in_main = [n for n in names if not n.endswith(".commit")]
    assert build_missing_objects(build=second, wanted=in_main) == []


def test_missing_objects_validates_its_input(repository):
    build = new_build(repository)
    for wanted, field in (
        (["../x"], "wanted"),
        ("ab" * 32 + ".filez", "wanted"),
        (["ab" * 32 + ".filez"] * (MAX_WANTED_OBJECTS + 1), "wanted"),
    ):
        with pytest.raises(ApplicationError) as error:
            build_missing_objects(build=build, wanted=wanted)
        assert error.value.status_code == 400
        assert field in error.value.details


def test_the_incoming_directory_is_on_the_upload_areas_filesystem(repository):
    build = new_build(repository)
    storage = Storage.configured()
    build_upload(build=build, parts=[("ab" * 32 + ".filez", [b"x"])])
    assert os.stat(storage.incoming(build.id)).st_dev == os.stat(storage.upload_area(build.id)).st_dev
