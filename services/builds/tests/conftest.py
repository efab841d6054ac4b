from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from builds.builds.creators import Actor
from builds.builds.services import build_create, build_ref_create, build_upload
from tests.flatpak import AppRepo, make_app

ACTOR = Actor(user_id="0b7e54b2-5d2f-4a25-9d53-6a1c2b6f7f10", token_sub="build", name="ci")


@pytest.fixture(autouse=True)
def builds_storage(settings, tmp_path) -> Path:
    """Each test has its own storage tree; update-repo jobs run without the batching delay."""
    root = tmp_path / "storage"
    settings.BUILDS = {**settings.BUILDS, "STORAGE_DIR": root, "UPDATE_REPO_DELAY_SECONDS": 0}
    return root


@pytest.fixture(scope="session")
def app_template(tmp_path_factory) -> AppRepo:
    """One exported app for the session (tests copy it before changing anything)."""
    return make_app(tmp_path_factory.mktemp("apps"))


@pytest.fixture
def app(app_template, tmp_path) -> AppRepo:
    copy = tmp_path / "app-repo"
    shutil.copytree(app_template.path, copy)
    return AppRepo(copy, app_template.app_id, app_template.branch)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """``with run_jobs(): ...``: the block's transactions "commit", so the jobs they queue run
    (eagerly, in-process), and so do the jobs those queue."""

    @contextlib.contextmanager
    def runner() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return runner


@pytest.fixture
def repository(db):
    from builds.repos.services import repository_create

    return repository_create(name="apps", title="Apps", retention_count=2)


def upload_app(build, app: AppRepo, *, names: list[str] | None = None) -> None:
    """What the client does before committing: upload the objects, then name the ref."""
    parts = [(name, [app.object_bytes(name)]) for name in (app.object_names() if names is None else names)]
    build_upload(build=build, parts=parts)
    build_ref_create(build_id=build.id, ref_name=app.ref, commit=app.commit)


def new_build(repository, **overrides):
    return build_create(repository=repository, actor=ACTOR, app_id="org.example.Hello", **overrides)


def committed_build(repository, app: AppRepo, run_jobs):
    """A build of ``app`` uploaded and committed (its commit and check jobs have run)."""
    from builds.builds.services import build_commit

    build = new_build(repository)
    upload_app(build, app)
    with run_jobs():
        build_commit(build_id=build.id, actor=ACTOR)
    build.refresh_from_db()
    return build
