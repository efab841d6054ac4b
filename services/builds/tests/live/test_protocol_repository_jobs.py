"""flat-manager's repository calls over real HTTP: ``POST api/v1/repo/<repo>/republish``
(``republish`` scope) and ``POST api/v1/prune`` (``tokenmanagement``), each answering the job
with its URL in ``Location``; the jobs' outcome checked with ``ostree``."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import pytest

from builds.builds.services import build_publish
from builds.jobs.models import Job
from builds.repos.services import repository_update
from builds.storage.layout import Storage
from builds.tokens.services import token_issue
from tests.conftest import ACTOR, committed_build
from tests.flatpak import make_app, ostree_pull, sh
from tests.live.client import FlatManagerClient, ProtocolFailure


def _client(live, **claims) -> FlatManagerClient:
    token = token_issue(name="admin", duration=3600, **claims).token
    return FlatManagerClient(base=f"{live.url}/flat-manager/", token=token)


def _publish(repository, app, run_jobs) -> None:
    build = committed_build(repository, app, run_jobs)
    with run_jobs():
        build_publish(build_id=build.id, actor=ACTOR)


def test_republish_answers_the_job_which_gives_the_app_a_new_commit(
    live, repository, app, run_jobs, tmp_path
):
    _publish(repository, app, run_jobs)
    main = Storage.configured().repository("apps")
    before = sh("ostree", "rev-parse", f"--repo={main}", app.ref)
    client = _client(live, sub="build", scope=["republish", "jobs"], prefixes=["org.example"], repos=["apps"])

    response = client.call(
        "POST", urljoin(client.base, "api/v1/repo/apps/republish"), body={"app": app.app_id}
    )

    job = response.json()
    assert response.headers["Location"] == f"{live.url}/flat-manager/api/v1/job/{job['id']}"
    assert (job["kind"], job["repo"]) == (3, "apps")
    assert json.loads(job["contents"])["app"] == app.app_id
    done, log = client.follow(response.headers["Location"])
    assert done["status"] == 2, log
    after = sh("ostree", "rev-parse", f"--repo={main}", app.ref)
    assert after != before
    assert json.loads(done["results"])["refs"] == {app.ref: after}
    assert f"Re-publishing {app.ref}\n" in log
    assert ostree_pull(f"file://{main}", app.ref, tmp_path / "pulled") == after


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "build", "scope": ["publish"]},
        {"sub": "build", "scope": ["republish"], "prefixes": ["org.other"]},
        {"sub": "build", "scope": ["republish"], "repos": ["beta"]},
    ],
)
def test_republish_without_the_claims_is_403_and_queues_nothing(live, repository, claims):
    client = _client(live, **claims)
    with pytest.raises(ProtocolFailure) as refused:
        client.call(
            "POST", urljoin(client.base, "api/v1/repo/apps/republish"), body={"app": "org.example.Hello"}
        )
    assert refused.value.status == 403
    assert refused.value.body["error-type"] == "token-insufficient"
    assert not Job.objects.exists()


def test_prune_answers_the_job_which_deletes_history_beyond_the_retention(
    live, repository, run_jobs, tmp_path
):
    repository_update(repository=repository, retention_count=5)
    for version in range(3):
        _publish(repository, make_app(tmp_path / f"v{version}", text=f"version {version}"), run_jobs)
    repository_update(repository=repository, retention_count=1)
    main = Storage.configured().repository("apps")
    ref = "app/org.example.Hello/x86_64/stable"
    head = sh("ostree", "rev-parse", f"--repo={main}", ref)
    client = _client(live, sub="", scope=["tokenmanagement", "jobs"], repos=["apps"])

    response = client.call("POST", urljoin(client.base, "api/v1/prune"), body={"repo": "apps"})

    job = response.json()
    assert (job["kind"], job["repo"]) == (5, "apps")
    jobs = _client(live, sub="build", scope=["jobs"])
    done, log = jobs.follow(response.headers["Location"])
    assert done["status"] == 2, log
    assert "Would delete:" in log and "Deleted " in log
    history = sh("ostree", "log", f"--repo={main}", ref)
    assert [line.split()[1] for line in history.splitlines() if line.startswith("commit ")] == [head]
    assert ostree_pull(f"file://{main}", ref, tmp_path / "pulled") == head


def test_prune_needs_tokenmanagement_and_an_existing_repository(live, repository):
    for claims, status, kind in [
        ({"sub": "build", "scope": ["build", "publish", "republish"]}, 403, "token-insufficient"),
        ({"sub": "", "scope": ["tokenmanagement"], "repos": ["beta"]}, 403, "token-insufficient"),
    ]:
        client = _client(live, **claims)
        with pytest.raises(ProtocolFailure) as refused:
            client.call("POST", urljoin(client.base, "api/v1/prune"), body={"repo": "apps"})
        assert (refused.value.status, refused.value.body["error-type"]) == (status, kind)
    admin = _client(live, sub="", scope=["tokenmanagement"])
    with pytest.raises(ProtocolFailure) as missing:
        admin.call("POST", urljoin(admin.base, "api/v1/prune"), body={"repo": "nope"})
    assert (missing.value.status, missing.value.body["error-type"]) == (404, "not-found")
    assert not Job.objects.exists()
