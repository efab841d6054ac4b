"""builds' events (not published yet: delivered through the awaiting subscriptions): the
build's creator hears of a failure and of a publication, once."""

import uuid

import pytest

from messaging.handlers import AWAITING_PRODUCERS
from servicekit.events import Registry
from servicekit.testing.events import EventDeliverer
from tests.factories import RecipientFactory


@pytest.fixture
def deliver_awaiting(db):
    return EventDeliverer(Registry(AWAITING_PRODUCERS))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event_type", "subject"),
    [("builds.build.failed", "Build 42 failed"), ("builds.build.published", "Build 42 was published")],
)
def test_the_builds_creator_is_told_once(deliver_awaiting, mailoutbox, on_commit, event_type, subject):
    creator = RecipientFactory()
    data = {"build_id": 42, "created_by": str(creator.user_id)}

    with on_commit():
        outcome = deliver_awaiting(event_type, data, validate=False)
    with on_commit():
        deliver_awaiting.again(outcome.event)

    [mail] = mailoutbox
    assert (mail.subject, mail.to) == (subject, [creator.email])
    assert "Build: 42" in mail.body


@pytest.mark.django_db
def test_a_build_email_in_spanish(deliver_awaiting, mailoutbox, on_commit):
    creator = RecipientFactory(language="es")

    with on_commit():
        deliver_awaiting(
            "builds.build.failed", {"build_id": 7, "created_by": str(creator.user_id)}, validate=False
        )

    assert [mail.subject for mail in mailoutbox] == ["La compilación 7 ha fallado"]


@pytest.mark.django_db
def test_nobody_known_as_the_creator_means_no_email(deliver_awaiting, mailoutbox, on_commit):
    with on_commit():
        deliver_awaiting(
            "builds.build.published", {"build_id": 1, "created_by": str(uuid.uuid4())}, validate=False
        )

    assert mailoutbox == []
