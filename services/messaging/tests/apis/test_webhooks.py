"""/api/v1/messaging/webhooks/<provider>/: signed provider events over HTTP, once each."""

import time

import pytest

from messaging.chat.models import Direction, Message, MessageStatus
from messaging.sessions.models import SessionStatus
from messaging.webhooks.models import WebhookReceipt
from tests.apis.conftest import code_of, data_of
from tests.factories import MessageFactory, SessionFactory, signed_webhook


def post(api_client, provider, body, headers):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return api_client.post(
        f"/api/v1/messaging/webhooks/{provider}/", data=body, content_type="application/json", **extra
    )


@pytest.mark.django_db
def test_a_session_status_webhook_moves_the_session_and_a_replay_changes_nothing(api_client, captured_events):
    session = SessionFactory(provider="waha", status=SessionStatus.SCAN_QR_CODE, phone_number="")
    body, headers = signed_webhook(session, "session.status", {"status": "WORKING"}, event_id="evt_w")

    first = post(api_client, "waha", body, headers)
    replay = post(api_client, "waha", body, headers)

    assert first.status_code == replay.status_code == 200
    assert data_of(first) == {"outcome": "handled", "event_id": "evt_w", "event_type": "session.status"}
    assert data_of(replay)["outcome"] == "duplicate"
    session.refresh_from_db()
    assert session.status == SessionStatus.WORKING
    assert len(captured_events.of_type("messaging.session.status_changed")) == 1
    assert WebhookReceipt.objects.count() == 1


@pytest.mark.django_db
def test_an_acknowledgement_moves_a_message_forward(api_client):
    message = MessageFactory(
        session__provider="waha", status=MessageStatus.SENT, provider_message_id="true_1"
    )
    body, headers = signed_webhook(message.session, "message.ack", {"id": "true_1", "ack": 2})

    response = post(api_client, "waha", body, headers)

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


@pytest.mark.django_db
def test_an_inbound_message_is_stored_for_its_sessions_user(api_client, client_for):
    session = SessionFactory(provider="waha")

    response = post(api_client, "waha", *signed_webhook(session))

    assert response.status_code == 200
    inbound = data_of(
        client_for(session.user_id).get("/api/v1/messaging/messages/", {"direction": "inbound"})
    )
    assert [(m["peer_number"], m["text"], m["status"]) for m in inbound] == [
        ("+34600000001", "Hola", "received")
    ]


@pytest.mark.django_db
def test_the_loopback_phone_posts_to_its_own_endpoint(api_client):
    session = SessionFactory(provider="loopback", status=SessionStatus.SCAN_QR_CODE, phone_number="")

    response = post(api_client, "loopback", *signed_webhook(session, "session.status", {"status": "WORKING"}))

    assert data_of(response)["outcome"] == "handled"
    session.refresh_from_db()
    assert session.status == SessionStatus.WORKING


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forge",
    [
        lambda body, headers: (body, {**headers, "X-Webhook-Hmac": "0" * 128}),
        lambda body, headers: (body + b" ", headers),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "X-Webhook-Hmac"}),
    ],
    ids=["wrong signature", "body changed", "unsigned"],
)
def test_a_webhook_that_is_not_ours_is_refused_and_changes_nothing(api_client, captured_events, forge):
    session = SessionFactory(provider="waha")

    response = post(api_client, "waha", *forge(*signed_webhook(session)))

    assert response.status_code == 400
    assert code_of(response) == "invalid_signature"
    assert not Message.objects.exists()
    assert not WebhookReceipt.objects.exists()
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_a_captured_webhook_replayed_too_late_is_refused(api_client, messaging_conf):
    messaging_conf(WEBHOOK_TOLERANCE_SECONDS=60)
    session = SessionFactory(provider="waha")

    response = post(api_client, "waha", *signed_webhook(session, now=time.time() - 61))

    assert response.status_code == 400
    assert code_of(response) == "invalid_signature"
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


@pytest.mark.django_db
def test_an_unknown_provider_is_not_found(api_client):
    session = SessionFactory()

    response = post(api_client, "twilio", *signed_webhook(session))

    assert response.status_code == 404
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_stale_authorization_header_does_not_get_in_the_way(api_client):
    session = SessionFactory(provider="waha")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.token.here")

    response = post(api_client, "waha", *signed_webhook(session))

    assert response.status_code == 200
