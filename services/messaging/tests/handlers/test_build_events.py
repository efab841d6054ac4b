"""builds' events: the build's creator hears of a failure and of a publication, once."""

import uuid

import pytest

from tests.factories import RecipientFactory


def build_event(event_type: str, build_id: int, user_id: str | None) -> dict:
    creator = {"user_id": user_id, "token_sub": None if user_id else "build", "name": "ci"}
    common = {"build_id": build_id, "repository": "stable", "app_id": "org.example.Hello", "creator": creator}
    if event_type == "builds.build.failed":
        return {**common, "stage": "commit", "reason": "Job failed: missing object"}
    return {**common, "refs": {"app/org.example.Hello/x86_64/stable": "a" * 64}, "update_repo_job_id": 3}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event_type", "subject"),
    [("builds.build.failed", "Build 42 failed"), ("builds.build.published", "Build 42 was published")],
)
def test_the_builds_creator_is_told_once(deliver_event, mailoutbox, on_commit, event_type, subject):
    creator = RecipientFactory()

    with on_commit():
        outcome = deliver_event(event_type, build_event(event_type, 42, str(creator.user_id)))
    with on_commit():
        deliver_event.again(outcome.event)

    [mail] = mailoutbox
    assert (mail.subject, mail.to) == (subject, [creator.email])
    assert "Build: 42" in mail.body


@pytest.mark.django_db
def test_a_build_email_in_spanish(deliver_event, mailoutbox, on_commit):
    creator = RecipientFactory(language="es")

    with on_commit():
        deliver_event("builds.build.failed", build_event("builds.build.failed", 7, str(creator.user_id)))

    assert [mail.subject for mail in mailoutbox] == ["La compilación 7 ha fallado"]


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), None], ids=["unknown user", "token only"])
def test_no_known_user_as_the_creator_means_no_email(deliver_event, mailoutbox, on_commit, user_id):
    with on_commit():
        deliver_event("builds.build.published", build_event("builds.build.published", 1, user_id))

    assert mailoutbox == []
