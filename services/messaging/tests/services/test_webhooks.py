"""Receiving webhooks: the signature, replays, inbound messages stored once."""

import json
import time

import pytest

from messaging.chat.models import Direction, Message, MessageStatus
from messaging.webhooks.models import WebhookReceipt
from messaging.webhooks.services import webhook_receive
from servicekit.envelope.errors import ApplicationError, NotFound
from servicekit.testing.concurrency import run_concurrently
from tests.factories import SessionFactory, signed_webhook

SENDER = "34600000001@c.us"


@pytest.fixture
def session():
    return SessionFactory(provider="waha")


def receive(body, headers):
    return webhook_receive(provider_name="waha", body=body, headers=headers)


@pytest.mark.django_db
def test_an_inbound_message_is_stored_and_announced(session, captured_events):
    result = receive(*signed_webhook(session))

    assert (result.outcome, result.event_id, result.event_type) == ("handled", "evt_1", "message")
    message = Message.objects.get()
    assert (message.direction, message.status, message.peer_number, message.text) == (
        Direction.INBOUND,
        MessageStatus.RECEIVED,
        "+34600000001",
        "Hola",
    )
    assert (message.user_id, message.session_id) == (session.user_id, session.pk)
    event = captured_events.assert_published("messaging.message.received", subject=str(message.pk))
    assert (event.data["from"], event.data["has_media"], event.data["kind"]) == (
        "+34600000001",
        False,
        "text",
    )
    assert "Hola" not in json.dumps(event.data)  # the text stays in messaging


@pytest.mark.django_db
def test_a_replayed_webhook_changes_nothing(session, captured_events):
    body, headers = signed_webhook(session)

    first, replay = receive(body, headers), receive(body, headers)

    assert (first.outcome, replay.outcome) == ("handled", "duplicate")
    assert Message.objects.count() == 1
    assert WebhookReceipt.objects.count() == 1
    assert captured_events.types == ["messaging.message.received"]


@pytest.mark.django_db
def test_the_same_message_under_another_event_id_is_stored_once(session, captured_events):
    receive(*signed_webhook(session, event_id="evt_1"))
    receive(*signed_webhook(session, event_id="evt_2"))  # WAHA redelivered it as a new event

    assert Message.objects.count() == 1
    assert WebhookReceipt.objects.count() == 2
    assert captured_events.types == ["messaging.message.received"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body.replace(b"Hola", b"Hack"), headers),
        lambda body, headers: (body, {"Content-Type": "application/json"}),
    ],
)
def test_a_webhook_that_is_not_signed_by_our_secret_is_refused(session, captured_events, tamper):
    body, headers = tamper(*signed_webhook(session))

    with pytest.raises(ApplicationError) as raised:
        receive(body, headers)

    assert (raised.value.code, raised.value.status_code) == ("invalid_signature", 400)
    assert Message.objects.count() == 0
    assert WebhookReceipt.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_a_webhook_signed_with_another_secret_is_refused(session):
    with pytest.raises(ApplicationError) as raised:
        receive(*signed_webhook(session, secret="not-ours"))

    assert raised.value.code == "invalid_signature"
    assert WebhookReceipt.objects.count() == 0


@pytest.mark.django_db
def test_a_captured_webhook_replayed_after_the_tolerance_is_refused(session, messaging_conf):
    messaging_conf(WEBHOOK_TOLERANCE_SECONDS=60)
    body, headers = signed_webhook(session, now=time.time() - 61)

    with pytest.raises(ApplicationError) as raised:
        receive(body, headers)

    assert "outside the tolerance" in raised.value.message
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_provider_is_not_found(session):
    with pytest.raises(NotFound):
        webhook_receive(provider_name="telegram", body=b"{}", headers={})


@pytest.mark.django_db
def test_a_webhook_for_a_session_that_is_not_ours_is_answered_and_ignored(captured_events):
    stranger = SessionFactory.build(provider="waha")  # never saved: WAHA shared with another app

    result = receive(*signed_webhook(stranger))

    assert result.outcome == "unknown_session"
    assert Message.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_a_loopback_webhook_does_not_reach_a_waha_session(session):
    body, headers = signed_webhook(session)

    result = webhook_receive(provider_name="loopback", body=body, headers=headers)

    assert result.outcome == "unknown_session"
    assert Message.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"id": "true_x_1", "from": SENDER, "fromMe": True, "body": "mine"},  # our own message echoed
        {"id": "false_g_1", "from": "120363101234567890@g.us", "fromMe": False, "body": "group"},
        {"from": SENDER, "fromMe": False, "body": "no id"},
    ],
)
def test_messages_that_are_not_someone_writing_to_the_user_are_not_stored(session, captured_events, payload):
    result = receive(*signed_webhook(session, payload=payload))

    assert result.outcome == "handled"
    assert Message.objects.count() == 0
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_inbound_media_keeps_the_providers_url_and_type(session):
    payload = {
        "id": "false_34600000001@c.us_IMG",
        "from": SENDER,
        "fromMe": False,
        "body": "",
        "hasMedia": True,
        "media": {
            "url": "http://waha:3000/api/files/s/IMG.jpeg",
            "mimetype": "image/jpeg",
            "filename": "IMG.jpeg",
        },
    }

    receive(*signed_webhook(session, payload=payload))

    message = Message.objects.get()
    assert (message.kind, message.media_url, message.media_mimetype) == (
        "image",
        "http://waha:3000/api/files/s/IMG.jpeg",
        "image/jpeg",
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_arriving_at_once_is_handled_once():
    session = SessionFactory(provider="waha")
    body, headers = signed_webhook(session)
    outcomes = []

    errors = run_concurrently([lambda: outcomes.append(receive(body, headers).outcome)] * 6)

    assert errors == []
    assert sorted(outcomes) == ["duplicate"] * 5 + ["handled"]
    assert Message.objects.count() == 1
