"""The command-line client against a stand-in server that checks each request's shape against
the protocol file (the end-to-end test runs it against the real service through the gateway)."""

import gzip
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from builds_client import local_repo
from builds_client.protocol import FlatManager, ProtocolError, RetryPolicy, job_url
from builds_client.push import Pusher, PushFailed, PushOptions
from tests.client.fake_server import FakeFlatManager
from tests.flatpak import AppRepo, make_app, sh

FAST = RetryPolicy(attempts=3, first_delay=0.01)


@pytest.fixture
def fake():
    with FakeFlatManager() as server:
        yield server


def push(fake, app, **options):
    out = io.StringIO()
    client = FlatManager(fake.base_url, fake.token, retry=FAST)
    options = {"poll_interval": 0.01, **options}
    build_url = Pusher(client, out=out).push(PushOptions(repo_name="apps", local_repo=app.path, **options))
    return build_url, out.getvalue()


def uploaded_names(fake) -> list[str]:
    import email.parser
    import email.policy

    names = []
    for call in fake.calls:
        if call.path.endswith("/upload"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {call.headers['content-type']}\r\n\r\n".encode() + call.body
            )
            names.extend(part.get_filename() for part in message.iter_parts())
    return names


def test_a_push_creates_uploads_names_refs_commits_and_publishes(fake, app, tmp_path):
    state = tmp_path / "state.json"
    build_url, out = push(fake, app, publish=True, state_file=state)
    assert fake.problems == []
    assert build_url == f"{fake.base_url}api/v1/build/1"
    wanted = json.loads(gzip.decompress(fake.named("missing_objects")[0].body))["wanted"]
    assert sorted(wanted) == sorted(app.object_names())
    assert sorted(uploaded_names(fake)) == sorted(app.object_names())
    assert {name: fake.objects[name] for name in app.object_names()} == {
        name: app.object_bytes(name) for name in app.object_names()
    }
    assert fake.builds[1]["refs"] == [{"ref": app.ref, "commit": app.commit, "build-log-url": None}]
    assert [call.path.rsplit("/", 1)[-1] for call in fake.calls if call.method == "POST"] == [
        "build",
        "upload",
        "build_ref",
        "commit",
        "publish",
    ]
    assert "Importing the commit\nCommitted\n" in out and "Importing into the repository\n" in out
    assert "repository update: job" in out
    assert not state.exists()  # done: the next push is a new build


def test_objects_the_server_has_are_not_sent(fake, app):
    already = app.object_names()[:3]
    fake.objects.update({name: app.object_bytes(name) for name in already})
    push(fake, app, commit=False)
    assert sorted(uploaded_names(fake)) == sorted(set(app.object_names()) - set(already))


def test_missing_objects_are_asked_2000_at_a_time(fake):
    client = FlatManager(fake.base_url, fake.token, retry=FAST)
    build_url, _ = client.create_build("apps")
    names = [f"{n:064x}.dirtree" for n in range(2500)] + [f"{n:064x}.filez" for n in range(2000)]
    assert client.missing_objects(build_url, names) == names
    sizes = [len(json.loads(gzip.decompress(call.body))["wanted"]) for call in fake.named("missing_objects")]
    assert sizes == [2000, 2000, 500]
    assert fake.problems == []


def test_uploads_go_in_batches_of_about_4_mib(fake, tmp_path):
    app = big_app(tmp_path, files=6, size=1024 * 1024)
    push(fake, app, commit=False)
    uploads = [call for call in fake.calls if call.path.endswith("/upload")]
    assert len(uploads) == 2
    assert all(len(call.body) < 4 * 1024 * 1024 + 64 * 1024 for call in uploads)
    assert sorted(uploaded_names(fake)) == sorted(app.object_names())


def test_5xx_and_dropped_connections_are_retried(fake, app):
    fake.failures = {"upload": [503, "drop"], "build_ref": ["drop"], "commit": [502]}
    push(fake, app, publish=True)
    assert fake.problems == []
    assert len([call for call in fake.calls if call.path.endswith("/upload")]) == 3  # the whole batch again
    assert sorted(fake.objects) == sorted(app.object_names())
    assert fake.builds[1]["published_state"] == 2


def test_other_errors_fail_at_once(fake, app):
    fake.failures = {"build": [403]}
    with pytest.raises(ProtocolError, match="HTTP 403"):
        push(fake, app)
    assert len(fake.calls) == 1
    assert fake.builds == {}


def test_retries_give_up_in_the_end(fake, app):
    fake.failures = {"build": [500, 500, 500]}
    with pytest.raises(ProtocolError, match="gave up after 3 attempts"):
        push(fake, app)
    assert fake.builds == {}


def test_a_broken_commit_job_fails_the_push_before_publishing(fake, app):
    fake.commit_job_status = 3
    with pytest.raises(PushFailed, match="job 1 failed"):
        push(fake, app, publish=True)
    assert not fake.named("publish")


def test_a_failed_check_fails_the_push(fake, app):
    fake.check_statuses = [1, 3]
    with pytest.raises(PushFailed, match="check check1 failed"):
        push(fake, app, publish=True)
    assert not fake.named("publish")


def test_a_build_published_meanwhile_counts_as_published(fake, app):
    fake.published_already = True
    _, out = push(fake, app, publish=True)
    assert "already publishing or published" in out


def test_the_job_url_drops_the_build_urls_last_two_segments():
    assert job_url("http://gw/flat-manager/api/v1/build/7", 42) == "http://gw/flat-manager/api/v1/job/42"


def test_needed_objects_are_what_the_commit_reaches_metadata_first(app):
    objects = local_repo.needed_objects(app.path, [app.commit])
    names = [item.name for item in objects]
    assert sorted(names) == sorted(app.object_names())
    assert names[0] == f"{app.commit}.commit"
    kinds = [item.is_metadata for item in objects]
    assert kinds == sorted(kinds, reverse=True)


def test_a_push_killed_mid_upload_resumes_with_the_same_build(fake, tmp_path):
    app = big_app(tmp_path, files=12, size=1024 * 1024)
    state = tmp_path / "push-state.json"
    fake.hold_upload_number = 2
    first = client_process(fake, app, state)
    try:
        assert fake.held.wait(60), "the second upload never came"
        assert json.loads(state.read_text())["build_url"] == f"{fake.base_url}api/v1/build/1"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        fake.release.set()
    stored_before = set(fake.objects)
    assert 0 < len(stored_before) < len(app.object_names())
    calls_before = len(fake.calls)

    second = client_process(fake, app, state, "--progress")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "resuming build" in out and "upload" in err  # the progress bar
    assert fake.problems == []
    assert len(fake.builds) == 1  # no second build
    resumed = fake.calls[calls_before:]
    wanted = [call for call in resumed if call.path.endswith("/missing_objects")]
    assert len(wanted) == 1
    resent = uploaded_names_after(fake, calls_before)
    assert sorted(resent) == sorted(set(app.object_names()) - stored_before)
    assert {name: fake.objects[name] for name in app.object_names()} == {
        name: app.object_bytes(name) for name in app.object_names()
    }
    assert fake.builds[1]["published_state"] == 2
    assert not state.exists()


def uploaded_names_after(fake, index):
    saved = fake.calls
    fake.calls = saved[index:]
    try:
        return uploaded_names(fake)
    finally:
        fake.calls = saved


def client_process(fake, app, state: Path, *extra: str) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "builds-client"),
        "--poll-interval=0.05",
        "push",
        "--publish",
        f"--state-file={state}",
        *extra,
        fake.base_url,
        "apps",
        str(app.path),
    ]
    env = {**os.environ, "REPO_TOKEN": fake.token}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def big_app(root: Path, *, files: int, size: int) -> AppRepo:
    """An app with ``files`` incompressible files of ``size`` bytes (so several upload batches),
    alone in its repository."""
    app = make_app(root, app_id="org.example.Big")
    checkout, repo = root / "big-appdir", root / "big-repo"
    sh("ostree", "checkout", f"--repo={app.path}", "-U", app.ref, checkout)
    for n in range(files):
        (checkout / "files" / f"blob{n}").write_bytes(os.urandom(size))
    sh("ostree", "init", "--mode=archive-z2", f"--repo={repo}")
    sh("ostree", "commit", f"--repo={repo}", f"--branch={app.ref}", f"--tree=dir={checkout}")
    return AppRepo(repo, app.app_id, app.branch)


def test_the_cli_needs_a_token(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "builds-client"), "follow", "http://127.0.0.1:9/job/1"],
        env={key: value for key, value in os.environ.items() if key != "REPO_TOKEN"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "a token is needed" in result.stderr
