"""Our command-line client against the real service (uvicorn, real tools): a push that
commits and publishes, one interrupted mid-upload and resumed, and a corrupted object."""

from __future__ import annotations

import io

import pytest

from builds.builds.models import Build, PublishedState, RepoState
from builds.storage.layout import Storage
from builds.tokens.services import token_issue
from builds_client.protocol import FlatManager, RetryPolicy
from builds_client.push import Pusher, PushFailed, PushOptions
from tests.flatpak import ostree_pull

SCOPES = ["build", "upload", "publish", "jobs"]


@pytest.fixture
def flat_manager(live, repository) -> FlatManager:
    token = token_issue(name="ci", sub="build", scope=SCOPES, duration=3600, prefixes=["org.example"]).token
    return FlatManager(f"{live.url}/flat-manager/", token, retry=RetryPolicy(attempts=3, first_delay=0.05))


def _options(app, **overrides) -> PushOptions:
    return PushOptions(repo_name="apps", local_repo=app.path, poll_interval=0.05, progress=False, **overrides)


def test_the_client_pushes_commits_and_publishes(flat_manager, app, tmp_path):
    out = io.StringIO()
    build_url = Pusher(flat_manager, out=out).push(_options(app, publish=True, wait_update_repo=True))
    build = Build.objects.get(id=int(build_url.rsplit("/", 1)[1]))
    assert (build.repo_state, build.published_state) == (RepoState.READY, PublishedState.PUBLISHED)
    assert f"Committing ref {app.ref}" in out.getvalue()
    main = Storage.configured().repository("apps")
    assert ostree_pull(f"file://{main}", app.ref, tmp_path / "pull") == build.refs.get().published_commit


class Interrupted(Exception):
    pass


def test_an_interrupted_push_resumes_with_the_same_build(flat_manager, app, tmp_path):
    state = tmp_path / "state.json"
    uploads = []
    original = flat_manager.upload

    def upload_then_stop(build_url, make_body, count):
        if len(uploads) == 2:
            raise Interrupted  # as if the job were killed before its third batch
        uploads.append(count)
        original(build_url, make_body, count)

    flat_manager.upload = upload_then_stop
    tiny_batches = _options(app, publish=True, state_file=state, batch_bytes=1)
    with pytest.raises(Interrupted):
        Pusher(flat_manager, out=io.StringIO()).push(tiny_batches)
    assert state.exists() and Build.objects.count() == 1

    flat_manager.upload = original
    out = io.StringIO()
    build_url = Pusher(flat_manager, out=out).push(tiny_batches)
    assert "resuming build" in out.getvalue()
    assert f"uploading {len(app.object_names()) - 2} of {len(app.object_names())} objects" in out.getvalue()
    assert Build.objects.count() == 1
    assert Build.objects.get().published_state == PublishedState.PUBLISHED
    assert build_url.endswith(f"/build/{Build.objects.get().id}")
    assert not state.exists()


def test_a_corrupted_object_fails_the_push_with_the_jobs_line(flat_manager, app):
    victim = next(name for name in app.object_names() if name.endswith(".filez"))
    path = app.path / "objects" / victim[:2] / victim[2:]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    out = io.StringIO()
    with pytest.raises(PushFailed):
        Pusher(flat_manager, out=out).push(_options(app, publish=True))
    assert "\nJob failed: " in out.getvalue()
    build = Build.objects.get()
    assert (build.repo_state, build.published_state) == (RepoState.FAILED, PublishedState.UNPUBLISHED)
