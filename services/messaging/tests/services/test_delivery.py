"""Delivering messages: the send task through the provider, retries with backoff and the final
failure, acknowledgements to delivered and read, media uploaded or fetched."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.chat.models import Message, MessageStatus, PendingAck
from messaging.chat.services import AttemptOutcome, message_ack_apply, message_deliver, message_send
from messaging.providers import Ack
from messaging.sessions.models import SessionStatus
from messaging.testing.fake_waha import decoded_file
from servicekit.testing.http_server import LocalHttpServer
from tests.conftest import RECIPIENT
from tests.factories import MessageFactory, SessionFactory
from tests.services.test_send import PDF, PNG

MESSAGE_EVENTS = ["messaging.message.sent", "messaging.message.delivered", "messaging.message.read"]


def message_events(captured_events):
    return [event.type for event in captured_events if event.type.startswith("messaging.message.")]


@pytest.fixture
def waha_session(fake_waha, user_id):
    """A working WAHA session, started at the fake (with our webhook config) and working there."""
    from messaging.providers import get_provider

    session = SessionFactory(user_id=user_id, provider="waha")
    get_provider("waha").start_session(session_name=session.provider_session)
    fake_waha.set_status(session.provider_session, "WORKING", me=session.phone_number)
    return session


def send(user_id, on_commit, **fields):
    with on_commit():
        message = message_send(user_id=user_id, to=RECIPIENT, **{"text": "Hola", **fields}).message
    message.refresh_from_db()
    return message


# -- the loopback phone, end to end -------------------------------------------------------------
@pytest.mark.django_db
def test_the_loopback_phone_takes_a_message_to_read(user_id, captured_events, on_commit):
    SessionFactory(user_id=user_id)

    message = send(user_id, on_commit)

    assert message.status == MessageStatus.READ
    assert message.attempts == 1
    assert message.sent_at <= message.delivered_at <= message.read_at
    assert message_events(captured_events) == MESSAGE_EVENTS
    sent = captured_events.assert_published("messaging.message.sent", subject=str(message.pk))
    assert sent.data["provider_message_id"] == message.provider_message_id
    assert sent.data["to"] == RECIPIENT


# -- WAHA -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_waha_sends_and_its_acks_move_the_message_to_read(
    fake_waha, waha_session, user_id, captured_events, on_commit
):
    from messaging.webhooks.services import webhook_receive

    message = send(user_id, on_commit)
    assert message.status == MessageStatus.SENT
    [record] = fake_waha.sent
    assert (record["chatId"], record["text"], record["session"]) == (
        "34600000001@c.us",
        "Hola",
        waha_session.provider_session,
    )
    assert message.provider_message_id == record["id"]

    for ack in (Ack.SERVER, Ack.DEVICE, Ack.READ):
        body, headers = fake_waha.webhook(
            waha_session.provider_session, "message.ack", {"id": record["id"], "ack": ack}
        )
        webhook_receive(provider_name="waha", body=body, headers=headers)

    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    assert message_events(captured_events) == MESSAGE_EVENTS


@pytest.mark.django_db
def test_5xx_answers_are_retried_with_backoff_until_the_send_succeeds(
    fake_waha, waha_session, user_id, messaging_conf, captured_events, on_commit, eager_retries
):
    messaging_conf(WAHA_RETRIES=0, SEND_MAX_ATTEMPTS=5, SEND_RETRY_BASE_SECONDS=0.0)
    fake_waha.fail_next("/api/sendText", status=503, times=2)

    message = send(user_id, on_commit)

    assert (message.status, message.attempts, message.error_code) == (MessageStatus.SENT, 3, "")
    assert len(fake_waha.requests_to("/api/sendText")) == 3
    assert len(fake_waha.sent) == 1
    assert message_events(captured_events) == ["messaging.message.sent"]
    assert captured_events.assert_published("messaging.message.sent").data["attempts"] == 3


@pytest.mark.django_db
def test_after_the_last_attempt_the_message_fails_with_the_providers_error(
    fake_waha, waha_session, user_id, messaging_conf, captured_events, on_commit, eager_retries
):
    messaging_conf(WAHA_RETRIES=0, SEND_MAX_ATTEMPTS=3, SEND_RETRY_BASE_SECONDS=0.0)
    fake_waha.fail_next("/api/sendText", status=503, times=10)

    message = send(user_id, on_commit)

    assert (message.status, message.attempts, message.error_code) == (
        MessageStatus.FAILED,
        3,
        "provider_unavailable",
    )
    assert "HTTP 503" in message.error_message
    assert len(fake_waha.requests_to("/api/sendText")) == 3
    assert fake_waha.sent == []
    assert message_events(captured_events) == ["messaging.message.failed"]
    failed = captured_events.assert_published("messaging.message.failed", subject=str(message.pk))
    assert (failed.data["error_code"], failed.data["attempts"]) == ("provider_unavailable", 3)


@pytest.mark.django_db
def test_a_refusal_fails_the_message_at_once(fake_waha, user_id, captured_events, on_commit, eager_retries):
    session = SessionFactory(user_id=user_id, provider="waha")
    fake_waha.set_status(session.provider_session, "SCAN_QR_CODE")  # WAHA says: not working

    message = send(user_id, on_commit)

    assert (message.status, message.attempts, message.error_code) == (
        MessageStatus.FAILED,
        1,
        "provider_rejected",
    )
    assert "Session status is not as expected" in message.error_message
    assert len(fake_waha.requests_to("/api/sendText")) == 1
    assert message_events(captured_events) == ["messaging.message.failed"]


@pytest.mark.django_db
def test_each_retry_waits_about_twice_as_long(fake_waha, waha_session, messaging_conf):
    messaging_conf(
        WAHA_RETRIES=0, SEND_MAX_ATTEMPTS=5, SEND_RETRY_BASE_SECONDS=2.0, SEND_RETRY_MAX_SECONDS=5.0
    )
    fake_waha.fail_next("/api/sendText", status=500, times=3)
    message = MessageFactory(session=waha_session)

    pauses = [message_deliver(message_id=message.pk).retry_in for _ in range(3)]

    assert 1.8 <= pauses[0] <= 2.2 and 3.6 <= pauses[1] <= 4.4
    assert 4.5 <= pauses[2] <= 5.5  # capped at SEND_RETRY_MAX_SECONDS (±10%)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 3)


@pytest.mark.django_db
def test_a_redelivered_send_task_sends_nothing_more(fake_waha, waha_session, user_id, on_commit):
    message = send(user_id, on_commit)

    again = message_deliver(message_id=message.pk)

    assert again.outcome is AttemptOutcome.SKIPPED
    assert len(fake_waha.requests_to("/api/sendText")) == 1


@pytest.mark.django_db
def test_a_session_that_stopped_after_queueing_fails_the_message_in_the_end(
    user_id, messaging_conf, captured_events, on_commit, eager_retries
):
    messaging_conf(SEND_MAX_ATTEMPTS=2, SEND_RETRY_BASE_SECONDS=0.0)
    session = SessionFactory(user_id=user_id)
    with on_commit():
        message = message_send(user_id=user_id, to=RECIPIENT, text="x").message
        session.status = SessionStatus.STOPPED
        session.save()

    message.refresh_from_db()
    assert (message.status, message.attempts, message.error_code) == (
        MessageStatus.FAILED,
        2,
        "session_not_working",
    )
    assert message_events(captured_events) == ["messaging.message.failed"]


# -- acknowledgements -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_read_receipt_before_the_delivery_receipt_counts_as_both(captured_events):
    message = MessageFactory(status=MessageStatus.SENT, provider_message_id="p1")

    message_ack_apply(session=message.session, provider_message_id="p1", ack=Ack.READ)
    message_ack_apply(session=message.session, provider_message_id="p1", ack=Ack.DEVICE)  # late: no-op

    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    assert message.delivered_at == message.read_at
    assert message_events(captured_events) == ["messaging.message.delivered", "messaging.message.read"]


@pytest.mark.django_db
def test_an_error_acknowledgement_fails_a_sent_message_and_later_acks_change_nothing(captured_events):
    message = MessageFactory(status=MessageStatus.SENT, provider_message_id="p1")

    message_ack_apply(session=message.session, provider_message_id="p1", ack=Ack.ERROR)
    message_ack_apply(session=message.session, provider_message_id="p1", ack=Ack.READ)

    message.refresh_from_db()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "provider_error")
    assert message.read_at is None
    assert message_events(captured_events) == ["messaging.message.failed"]


@pytest.mark.django_db
def test_an_acknowledgement_that_overtakes_the_send_is_applied_when_the_send_records_its_id(
    fake_waha, waha_session, captured_events
):
    message = MessageFactory(session=waha_session)
    fake_waha.next_message_ids.append("true_34600000001@c.us_EARLY")

    message_ack_apply(session=waha_session, provider_message_id="true_34600000001@c.us_EARLY", ack=Ack.DEVICE)
    assert PendingAck.objects.count() == 1
    message_deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert PendingAck.objects.count() == 0
    assert message_events(captured_events) == ["messaging.message.sent", "messaging.message.delivered"]


@pytest.mark.django_db
def test_acks_of_another_sessions_message_do_not_touch_it(captured_events):
    message = MessageFactory(status=MessageStatus.SENT, provider_message_id="p1")
    other_session = SessionFactory()

    message_ack_apply(session=other_session, provider_message_id="p1", ack=Ack.READ)

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    captured_events.assert_nothing_published()


# -- media --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_uploaded_image_goes_out_through_send_image(fake_waha, waha_session, user_id, on_commit):
    message = send(user_id, on_commit, text="caption", media_file=SimpleUploadedFile("a.png", PNG))

    [record] = fake_waha.sent
    assert message.status == MessageStatus.SENT
    assert (record["path"], record["caption"], record["file"]["mimetype"]) == (
        "/api/sendImage",
        "caption",
        "image/png",
    )
    assert decoded_file(record) == PNG


@pytest.fixture
def media_server():
    """Serves PDF at /doc, 404 at /missing, 503 at /busy, and counts requests."""
    answers = {"/doc": (200, PDF), "/missing": (404, b"{}"), "/busy": (503, b"{}"), "/big": (200, PDF * 4)}
    with LocalHttpServer(lambda request: answers[request.path]) as server:
        yield server


@pytest.mark.django_db
def test_a_media_url_is_fetched_sniffed_and_sent_as_a_file(
    fake_waha, waha_session, user_id, media_server, on_commit
):
    message = send(user_id, on_commit, text="", media_url=f"{media_server.url}/doc")

    [record] = fake_waha.sent
    assert (message.status, message.media_mimetype, message.media_size) == (
        MessageStatus.SENT,
        "application/pdf",
        len(PDF),
    )
    assert (record["path"], record["file"]["filename"]) == ("/api/sendFile", "doc")
    assert decoded_file(record) == PDF


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "error_code"),
    [("/big", "media_too_large"), ("/missing", "media_unavailable")],
)
def test_media_that_cannot_be_sent_fails_without_calling_the_provider(
    fake_waha, waha_session, user_id, media_server, messaging_conf, on_commit, eager_retries, path, error_code
):
    messaging_conf(MEDIA_MAX_BYTES=len(PDF) * 2)

    message = send(user_id, on_commit, text="", media_url=f"{media_server.url}{path}")

    assert (message.status, message.attempts, message.error_code) == (MessageStatus.FAILED, 1, error_code)
    assert fake_waha.requests_to("/api/send") == []


@pytest.mark.django_db
def test_a_busy_media_server_is_retried(
    fake_waha, waha_session, user_id, media_server, messaging_conf, on_commit, eager_retries
):
    messaging_conf(SEND_MAX_ATTEMPTS=2, SEND_RETRY_BASE_SECONDS=0.0)

    message = send(user_id, on_commit, text="", media_url=f"{media_server.url}/busy")

    assert (message.status, message.attempts, message.error_code) == (
        MessageStatus.FAILED,
        2,
        "media_unavailable",
    )
    assert media_server.request_count == 2


@pytest.mark.django_db
def test_a_media_url_on_a_private_address_is_never_fetched_in_production(
    fake_waha, waha_session, user_id, media_server, messaging_conf, on_commit, eager_retries
):
    messaging_conf(MEDIA_URL_ALLOW_PRIVATE=False)

    message = send(user_id, on_commit, text="", media_url=f"{media_server.url}/doc")

    assert (message.status, message.error_code) == (MessageStatus.FAILED, "media_url_refused")
    assert media_server.request_count == 0
    assert fake_waha.sent == []


# -- probes -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_probe_messages_publish_nothing(captured_events):
    probe = MessageFactory(purpose="probe", status=MessageStatus.SENT, provider_message_id="p1")

    message_ack_apply(session=probe.session, provider_message_id="p1", ack=Ack.READ)

    assert Message.objects.get(pk=probe.pk).status == MessageStatus.READ
    captured_events.assert_nothing_published()
