"""The flat-manager protocol over real HTTP (uvicorn, as in production), driven the way
flat-manager-client drives it: create, missing objects, upload, build_ref, commit, checks,
publish, purge, token_subset, jobs with log offsets; and its errors."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urljoin

import pytest
import requests

from builds.builds.models import Build, PublishedState, RepoState
from builds.jobs.models import Job, JobKind
from builds.repos.services import repository_update
from builds.storage.layout import Storage
from builds.tokens.services import token_issue
from tests.flatpak import ostree_pull
from tests.live.client import FlatManagerClient, ProtocolFailure, multipart_mixed

SCOPES = ["build", "upload", "publish", "jobs"]


@pytest.fixture
def client(live, repository) -> FlatManagerClient:
    token = token_issue(name="ci", sub="build", scope=SCOPES, duration=3600, prefixes=["org.example"]).token
    return FlatManagerClient(base=f"{live.url}/flat-manager/", token=token)


def _failure(call) -> ProtocolFailure:
    with pytest.raises(ProtocolFailure) as caught:
        call()
    return caught.value


def _push(client: FlatManagerClient, app, *, batch: int = 3) -> str:
    """create → missing objects → upload in batches → build_ref; returns the build URL."""
    build_url, _ = client.create_build("apps", app.app_id)
    missing = client.missing_objects(build_url, app.object_names())
    for start in range(0, len(missing), batch):
        names = missing[start : start + batch]
        stored = client.upload(build_url, [(name, app.object_bytes(name)) for name in names])
        assert stored == names  # one entry per part
    client.build_ref(build_url, app.ref, app.commit)
    return build_url


def test_a_ci_job_pushes_commits_and_publishes(client, app, live, tmp_path):
    build_url, build = client.create_build("apps", app.app_id)

    assert build_url == f"{live.url}/flat-manager/api/v1/build/{build['id']}"
    assert build["repo_state"] == 0 and build["published_state"] == 0 and build["repo"] == "apps"
    assert build["app_id"] == app.app_id and build["token_name"] == "ci"
    names = app.object_names()
    assert client.missing_objects(build_url, names) == names
    client.upload(build_url, [(name, app.object_bytes(name)) for name in names[:2]])
    assert client.missing_objects(build_url, names) == names[2:]
    client.upload(build_url, [(name, app.object_bytes(name)) for name in names[2:]])
    assert client.missing_objects(build_url, names) == []
    ref = client.build_ref(build_url, app.ref, app.commit)
    assert ref == {
        "id": ref["id"],
        "build_id": build["id"],
        "ref_name": app.ref,
        "commit": app.commit,
        "build_log_url": "https://ci.example/1",
    }
    extra = client.call("POST", f"{build_url}/add_extra_ids", body={"ids": ["org.example.Extra"]}).json()
    assert extra["extra_ids"] == ["org.example.Extra"]

    commit_url, commit_job = client.commit(build_url)

    assert commit_url == f"{build_url}/commit"
    assert commit_job["kind"] == 0 and json.loads(commit_job["contents"])["build"] == build["id"]
    extended = client.call("GET", f"{build_url}/extended").json()
    assert extended["build"]["repo_state"] == 2
    assert [r["ref_name"] for r in extended["build_refs"]] == [app.ref] and extended["checks"] == []
    job, log = client.follow(client.job_url(build_url, commit_job["id"]))
    assert job["status"] == 2 and "results" in job and json.loads(job["results"])
    assert client.follow(commit_url)[0]["id"] == commit_job["id"]  # GET <build>/commit: the job
    assert log.endswith("\n")

    publish_url, publish_job = client.publish(build_url)

    assert publish_url == f"{build_url}/publish"
    job, _ = client.follow(client.job_url(build_url, publish_job["id"]))
    results = json.loads(job["results"])
    assert set(results) == {"refs", "update-repo-job"}
    update, _ = client.follow(client.job_url(build_url, results["update-repo-job"]))
    assert update["kind"] == 2 and update["status"] == 2
    final = client.call("GET", build_url).json()
    assert (final["repo_state"], final["published_state"]) == (2, 2)
    repo_url = Storage.configured().repository("apps").as_uri()
    assert ostree_pull(repo_url, app.ref, tmp_path / "pull") == results["refs"][app.ref]


def test_a_job_polled_from_an_offset_answers_only_the_new_log(client, app):
    build_url = _push(client, app)
    _, commit_job = client.commit(build_url)
    url = client.job_url(build_url, commit_job["id"])
    whole = client.call("GET", url, body={"log-offset": 0}).json()

    tail = client.call("GET", url, body={"log-offset": 10}).json()
    after = client.call("GET", url, body={"log-offset": len(whole["log"])}).json()

    assert tail["log"] == whole["log"][10:]
    assert after["log"] == ""
    assert isinstance(whole["contents"], str) and isinstance(whole["results"], str)
    assert set(whole) == {"id", "kind", "status", "contents", "results", "log", "start_after", "repo"}


def test_a_new_jobs_results_are_absent_not_null(client, repository):
    job = Job.objects.create(kind=JobKind.UPDATE_REPO, contents={"repo": "apps"}, repository=repository)
    body = client.call("GET", urljoin(client.base, f"api/v1/job/{job.id}")).json()
    assert "results" not in body
    assert body["status"] == 0 and body["repo"] == "apps" and body["start_after"] is None


def test_checks_are_followed_and_a_failed_check_fails_the_build(client, app, repository):
    repository_update(
        repository=repository,
        check_hooks=[{"name": "ok", "command": ["true"]}, {"name": "size", "command": ["false"]}],
    )
    build_url = _push(client, app)

    client.commit(build_url)

    extended = client.call("GET", f"{build_url}/extended").json()
    checks = {check["check_name"]: check for check in extended["checks"]}
    assert {name: check["status"] for name, check in checks.items()} == {"ok": 1, "size": 3}
    job, log = client.follow(f"{build_url}/check/size/job")
    assert job["kind"] == 4 and job["id"] == checks["size"]["job_id"]
    assert extended["build"]["repo_state"] == 3
    failure = _failure(lambda: client.publish(build_url))
    assert failure.body["error-type"] == "wrong-repo-state"
    assert failure.body["current-state"] == "failed" and failure.body["expected-state"] == "ready"


def test_a_retried_batch_and_a_re_upload_are_no_ops(client, app):
    build_url, build = client.create_build("apps", app.app_id)
    batch = [(name, app.object_bytes(name)) for name in app.object_names()]
    client.upload(build_url, batch)

    again = client.upload(build_url, batch)  # the connection dropped before the answer came

    assert again == [name for name, _ in batch]
    area = Storage.configured().upload_area(build["id"])
    for name, content in batch:
        assert (area / "objects" / name[:2] / name[2:]).read_bytes() == content


@pytest.mark.parametrize(
    "filename",
    [
        "../../escape.commit",
        "ab/" + "c" * 62 + ".filez",
        "x" * 64 + ".filez",
        "a" * 64 + ".exe",
        ".hidden",
        "",
    ],
)
def test_uploads_with_bad_filenames_are_400_and_write_nothing(client, filename):
    build_url, build = client.create_build("apps")
    body = multipart_mixed([(filename, b"content")], "b0undary")
    response = client.request(
        "POST",
        f"{build_url}/upload",
        data=body,
        headers={"Content-Type": "multipart/mixed; boundary=b0undary"},
    )
    assert response.status_code == 400
    assert response.json()["error-type"] == "generic-error"
    files = [p for p in Storage.configured().upload_area(build["id"]).rglob("*") if p.is_file()]
    assert not [p for p in files if "objects" in p.parts and p.name != "config"]
    assert not (Storage.configured().root / "escape.commit").exists()


def test_a_form_data_or_unterminated_body_is_400(client):
    build_url, _ = client.create_build("apps")
    form = client.request(
        "POST", f"{build_url}/upload", data=b"x", headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    cut = multipart_mixed([("a" * 64 + ".commit", b"content")], "bnd")[:-10]
    truncated = client.request(
        "POST", f"{build_url}/upload", data=cut, headers={"Content-Type": "multipart/mixed; boundary=bnd"}
    )
    assert (form.status_code, truncated.status_code) == (400, 400)
    assert truncated.json()["error-type"] == "generic-error"


def test_errors_have_the_protocols_shape(client, live, app):
    build_url = _push(client, app)
    anonymous = requests.post(urljoin(client.base, "api/v1/build"), json={"repo": "apps"})
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "status": 401,
        "error-type": "invalid-token",
        "message": "No token value in header",
    }
    weak = FlatManagerClient(
        client.base, token_issue(name="r", sub="build", scope=["jobs"], duration=60).token
    )
    assert _failure(lambda: weak.create_build("apps")).body["error-type"] == "token-insufficient"
    missing = _failure(lambda: client.call("GET", urljoin(client.base, "api/v1/build/999999")))
    assert (missing.status, missing.body["error-type"]) == (404, "not-found")
    unknown = requests.get(urljoin(client.base, "api/v1/nothing-here"))
    assert unknown.status_code == 404 and unknown.json()["error-type"] == "not-found"
    bad_ref = _failure(lambda: client.build_ref(build_url, "app/org.example.Hello", "a" * 64))
    assert bad_ref.body["message"].startswith("Invalid ref_name")
    client.commit(build_url)
    late = _failure(lambda: client.upload(build_url, [(app.object_names()[0], b"x")]))
    assert (late.status, late.body["error-type"]) == (400, "wrong-repo-state")
    assert late.body["current-state"] == "ready" and late.body["expected-state"] == "uploading"
    assert client.attempts < 20  # no 5xx was retried


def test_publish_retried_answers_its_job_and_purge_in_use_has_flat_managers_words(client, app):
    build_url = _push(client, app)
    _, committed = client.commit(build_url)
    _, commit_retried = client.commit(build_url)  # the answer to the first was lost
    assert commit_retried["id"] == committed["id"]
    _, first = client.publish(build_url)

    _, again = client.publish(build_url)

    assert again["id"] == first["id"]
    build_id = int(build_url.rsplit("/", 1)[1])
    Build.objects.filter(id=build_id).update(published_state=PublishedState.PUBLISHING)
    refused = _failure(lambda: client.call("POST", f"{build_url}/purge", body={}))
    assert refused.body["message"] == "Can't prune build while in use"
    Build.objects.filter(id=build_id).update(published_state=PublishedState.PUBLISHED)
    purged = client.call("POST", f"{build_url}/purge", body={}).json()
    assert purged["repo_state"] == 5
    assert Build.objects.get(id=build_id).repo_state == RepoState.PURGED


def test_the_location_carries_the_gateways_origin_and_prefix(client):
    response = client.request(
        "POST",
        urljoin(client.base, "api/v1/build"),
        body={"repo": "apps"},
        headers={"X-Forwarded-Host": "builds.example.org", "X-Forwarded-Prefix": "/ci"},
    )
    build_id = response.json()["id"]
    assert (
        response.headers["Location"] == f"http://builds.example.org/ci/flat-manager/api/v1/build/{build_id}"
    )


def test_token_subset_only_narrows(client, live):
    url = urljoin(client.base, "api/v1/token_subset")
    narrower = client.call(
        "POST",
        url,
        body={
            "name": "one",
            "sub": "build/1",
            "scope": ["upload"],
            "duration": 60,
            "prefixes": ["org.example.App"],
        },
    ).json()
    sub_client = FlatManagerClient(client.base, narrower["token"])
    wider_scope = _failure(
        lambda: client.call(
            "POST", url, body={"name": "x", "sub": "build", "scope": ["download"], "duration": 60}
        )
    )
    wider_prefix = _failure(
        lambda: client.call(
            "POST",
            url,
            body={"name": "x", "sub": "build", "scope": ["build"], "duration": 60, "prefixes": ["org"]},
        )
    )

    assert wider_scope.body["error-type"] == wider_prefix.body["error-type"] == "token-insufficient"
    assert _failure(lambda: sub_client.create_build("apps")).body["error-type"] == "token-insufficient"


def test_missing_objects_accepts_a_plain_body_and_refuses_bad_names(client):
    build_url, _ = client.create_build("apps")
    plain = client.call("POST", f"{build_url}/missing_objects", body={"wanted": ["a" * 64 + ".dirtree"]})
    assert plain.json() == {"missing": ["a" * 64 + ".dirtree"]}
    data = gzip.compress(json.dumps({"wanted": ["../x.commit"]}).encode())
    bad = client.request(
        "GET", f"{build_url}/missing_objects", data=data, headers={"Content-Encoding": "gzip"}
    )
    assert bad.status_code == 400 and bad.json()["error-type"] == "generic-error"
    garbage = client.request(
        "GET", f"{build_url}/missing_objects", data=b"not gzip", headers={"Content-Encoding": "gzip"}
    )
    assert garbage.status_code == 400


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("api/v1/build", {"repo": "apps", "app-id": 12}),
        ("api/v1/build", {"repo": ["apps"]}),
        ("api/v1/token_subset", {"name": "x", "sub": "build", "scope": [{"build": 1}], "duration": 60}),
        ("api/v1/token_subset", {"name": "x", "sub": "build", "scope": ["build"], "duration": "forever"}),
        (
            "api/v1/token_subset",
            {"name": "x", "sub": "build", "scope": ["build"], "duration": 60, "apps": "a"},
        ),
    ],
)
def test_malformed_bodies_are_generic_errors_not_crashes(client, call, body):
    response = client.request("POST", urljoin(client.base, call), body=body)
    assert response.status_code == 400, response.text
    assert response.json()["error-type"] == "generic-error"
    assert not Build.objects.exists()
