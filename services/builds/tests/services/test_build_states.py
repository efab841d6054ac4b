"""The build state machine: the one table, every legal transition (with its history row) and
every illegal one (a conflict naming the current state that changes nothing); then each action
in each state it is refused in."""

from __future__ import annotations

import itertools

import pytest

from builds.builds.creators import Actor
from builds.builds.errors import WrongState
from builds.builds.models import TRANSITIONS, Build, BuildStateChange, PublishedState, RepoState, StateField
from builds.builds.selectors import build_missing_objects
from builds.builds.services import (
    build_add_extra_ids,
    build_commit,
    build_publish,
    build_purge,
    build_ref_create,
    build_upload,
)
from builds.builds.states import transition
from builds.jobs.models import Job
from servicekit.envelope.errors import ApplicationError
from tests.factories import BuildFactory, BuildRefFactory, JobFactory

pytestmark = pytest.mark.django_db

R, P = RepoState, PublishedState
REPO, PUB = StateField.REPO, StateField.PUBLISHED
ACTOR = Actor(token_sub="build", name="ci")
HEX = "ab" * 32

# Spelled out on purpose: changing the state machine must change this test too.
EXPECTED_LEGAL = {
    (REPO, R.UPLOADING, R.COMMITTING),
    (REPO, R.UPLOADING, R.PURGING),
    (REPO, R.COMMITTING, R.VALIDATING),
    (REPO, R.COMMITTING, R.READY),
    (REPO, R.COMMITTING, R.FAILED),
    (REPO, R.VALIDATING, R.READY),
    (REPO, R.VALIDATING, R.FAILED),
    (REPO, R.VALIDATING, R.PURGING),
    (REPO, R.READY, R.PURGING),
    (REPO, R.FAILED, R.PURGING),
    (REPO, R.PURGING, R.PURGED),
    (REPO, R.PURGING, R.FAILED),
    (PUB, P.UNPUBLISHED, P.PUBLISHING),
    (PUB, P.PUBLISHING, P.PUBLISHED),
    (PUB, P.PUBLISHING, P.FAILED),
    (PUB, P.FAILED, P.PUBLISHING),
}
ENUM = {REPO: R, PUB: P}
ALL_PAIRS = [
    (field, source, target)
    for field in StateField
    for source, target in itertools.product(ENUM[field], repeat=2)
]
LEGAL = sorted(pair for pair in ALL_PAIRS if pair[2] in TRANSITIONS[(pair[0], pair[1])])
ILLEGAL = sorted(pair for pair in ALL_PAIRS if pair not in EXPECTED_LEGAL)


def _id(pair):
    field, source, target = pair
    return f"{field}:{ENUM[field](source).label}->{ENUM[field](target).label}"


def test_the_table_is_the_expected_one():
    assert set(LEGAL) == EXPECTED_LEGAL
    assert len(LEGAL) + len(ILLEGAL) == len(ALL_PAIRS) == 7 * 7 + 4 * 4
    assert set(TRANSITIONS) == {(field, state) for field in StateField for state in ENUM[field]}


@pytest.mark.parametrize("pair", LEGAL, ids=[_id(p) for p in LEGAL])
def test_legal_transition_changes_the_state_and_writes_history(pair):
    field, source, target = pair
    build = BuildFactory(**{field: source})

    previous = transition(build, field, target, actor="user:1", reason="because", job_id=5)

    assert previous == source
    build.refresh_from_db()
    assert getattr(build, field) == target
    change = BuildStateChange.objects.get(build=build)
    assert (change.field, change.from_state, change.to_state) == (field, source, target)
    assert (change.actor, change.reason, change.job_id) == ("user:1", "because", 5)


@pytest.mark.parametrize("pair", ILLEGAL, ids=[_id(p) for p in ILLEGAL])
def test_illegal_transition_is_a_conflict_naming_the_current_state(pair):
    field, source, target = pair
    build = BuildFactory(**{field: source})
    before = Build.objects.values().get(id=build.id)

    with pytest.raises(WrongState) as error:
        transition(build, field, target, actor="user:1")

    assert error.value.status_code == 409
    assert error.value.code == "conflict"
    assert error.value.details["field"] == field
    assert error.value.details["current_state"] == ENUM[field](source).label
    assert ENUM[field](source).label in error.value.message
    assert Build.objects.values().get(id=build.id) == before
    assert not BuildStateChange.objects.exists()


# -- actions in the wrong state ------------------------------------------------------------

NOT_UPLOADING = [s for s in R if s != R.UPLOADING]


def _refused(call, build, *, field, current, captured_events):
    before = Build.objects.values().get(id=build.id)
    jobs = Job.objects.count()
    with pytest.raises(WrongState) as error:
        call()
    assert error.value.details["field"] == field
    assert error.value.details["current_state"] == current
    assert Build.objects.values().get(id=build.id) == before
    assert Job.objects.count() == jobs
    assert not BuildStateChange.objects.exists()
    captured_events.assert_nothing_published()
    return error.value


@pytest.mark.parametrize("state", NOT_UPLOADING, ids=lambda s: s.label)
def test_uploads_refs_and_missing_objects_only_while_uploading(state, captured_events, builds_storage):
    build = BuildFactory(repo_state=state)
    calls = [
        lambda: build_upload(build=build, parts=[(f"{HEX}.filez", [b"x"])]),
        lambda: build_ref_create(
            build_id=build.id, ref_name="app/org.example.Hello/x86_64/stable", commit=HEX
        ),
        lambda: build_missing_objects(build=build, wanted=[f"{HEX}.filez"]),
    ]
    for call in calls:
        error = _refused(
            call, build, field="repo_state", current=state.label, captured_events=captured_events
        )
        assert error.details["expected_state"] == "uploading"
    assert not builds_storage.exists() or not any(builds_storage.rglob("*.filez"))


@pytest.mark.parametrize("state", [R.PURGING, R.PURGED], ids=lambda s: s.label)
def test_commit_of_a_purged_build_is_a_conflict(state, captured_events):
    build = BuildFactory(repo_state=state)
    BuildRefFactory(build=build)

    error = _refused(
        lambda: build_commit(build_id=build.id, actor=ACTOR),
        build,
        field="repo_state",
        current=state.label,
        captured_events=captured_events,
    )
    assert error.details["expected_state"] == "uploading"


@pytest.mark.parametrize("state", [R.COMMITTING, R.VALIDATING, R.READY, R.FAILED], ids=lambda s: s.label)
def test_commit_asked_again_answers_the_commit_job_or_refuses_other_options(state, captured_events):
    contents = {"build": 0, "endoflife": None, "endoflife_rebase": None, "token_type": None}
    build = BuildFactory(repo_state=state)
    job = JobFactory(build_id=build.id, contents={**contents, "build": build.id})
    Build.objects.filter(id=build.id).update(commit_job=job)

    again, created = build_commit(build_id=build.id, actor=ACTOR)

    assert (again.id, created) == (job.id, False)
    _refused(
        lambda: build_commit(build_id=build.id, actor=ACTOR, end_of_life="gone"),
        build,
        field="repo_state",
        current=state.label,
        captured_events=captured_events,
    )


def test_commit_without_refs_is_refused(captured_events):
    build = BuildFactory()

    with pytest.raises(ApplicationError) as error:
        build_commit(build_id=build.id, actor=ACTOR)

    assert error.value.code == "no_refs"
    assert Build.objects.get(id=build.id).repo_state == R.UPLOADING
    assert not Job.objects.exists()


@pytest.mark.parametrize("state", [s for s in R if s != R.READY], ids=lambda s: s.label)
def test_publish_needs_a_ready_build(state, captured_events):
    build = BuildFactory(repo_state=state)

    error = _refused(
        lambda: build_publish(build_id=build.id, actor=ACTOR),
        build,
        field="repo_state",
        current=state.label,
        captured_events=captured_events,
    )
    assert error.details["expected_state"] == "ready"


@pytest.mark.parametrize(
    ("repo_state", "published_state", "field", "current"),
    [
        (R.COMMITTING, P.UNPUBLISHED, "repo_state", "committing"),
        (R.PURGING, P.UNPUBLISHED, "repo_state", "purging"),
        (R.READY, P.PUBLISHING, "published_state", "publishing"),
    ],
)
def test_purge_of_a_build_in_use_is_refused_in_flat_managers_words(
    repo_state, published_state, field, current, captured_events
):
    build = BuildFactory(repo_state=repo_state, published_state=published_state)

    error = _refused(
        lambda: build_purge(build_id=build.id, actor=ACTOR),
        build,
        field=field,
        current=current,
        captured_events=captured_events,
    )
    assert error.message == "Can't prune build while in use"


@pytest.mark.parametrize(
    ("repo_state", "published_state", "field", "current"),
    [
        (R.PURGED, P.UNPUBLISHED, "repo_state", "purged"),
        (R.PURGING, P.UNPUBLISHED, "repo_state", "purging"),
        (R.READY, P.PUBLISHED, "published_state", "published"),
        (R.READY, P.PUBLISHING, "published_state", "publishing"),
    ],
)
def test_extra_ids_are_refused_once_purged_or_published(
    repo_state, published_state, field, current, captured_events
):
    build = BuildFactory(repo_state=repo_state, published_state=published_state)

    _refused(
        lambda: build_add_extra_ids(build_id=build.id, ids=["Extra"]),
        build,
        field=field,
        current=current,
        captured_events=captured_events,
    )


def test_extra_ids_accumulate_without_duplicates():
    build = BuildFactory()

    build_add_extra_ids(build_id=build.id, ids=["Beta", "Nightly"])
    build = build_add_extra_ids(build_id=build.id, ids=["Nightly", "Beta", "Other"])

    assert build.extra_ids == ["Beta", "Nightly", "Other"]
    for bad in (["a/b"], [""], ["a..b"], "Beta", [1]):
        with pytest.raises(ApplicationError) as error:
            build_add_extra_ids(build_id=build.id, ids=bad)
        assert error.value.code == "validation_error"
