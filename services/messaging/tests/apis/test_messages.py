"""/api/v1/messaging/messages/: send (text, upload, URL; Idempotency-Key; quota), list with
filters, detail; another user's message is 404."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from messaging.chat.models import Direction, Message, MessageStatus, Purpose
from messaging.quotas.models import QuotaOverride
from tests.apis.conftest import code_of, data_of, details_of
from tests.conftest import RECIPIENT
from tests.factories import EXE, PNG, MessageFactory, SessionFactory, used_today

MESSAGES = "/api/v1/messaging/messages/"


@pytest.fixture
def session(user_id):
    return SessionFactory(user_id=user_id)


def send(client, body, **headers):
    return client.post(MESSAGES, body, format="json", **headers)


# -- sending ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_text_is_accepted_queued_then_goes_all_the_way_to_read(user, user_id, session, on_commit):
    with on_commit():
        response = send(user, {"to": "+34 600 00 00 01", "text": "Hola"})

    assert response.status_code == 202, response.content
    body = data_of(response)
    assert (body["status"], body["kind"], body["peer_number"], body["direction"]) == (
        "queued",
        "text",
        RECIPIENT,
        "outbound",
    )
    assert body["session_id"] == str(session.id)
    assert response["Location"] == reverse("chat-message-detail", args=[body["id"]])
    assert "Idempotent-Replayed" not in response
    detail = data_of(user.get(response["Location"]))
    assert detail["status"] == "read"  # the loopback phone acknowledged it (eager in tests)
    assert detail["sent_at"] and detail["delivered_at"] and detail["read_at"]
    assert used_today(user_id) == 1


@pytest.mark.django_db
def test_an_uploaded_image_is_sniffed_and_sent(user, session, on_commit):
    upload = SimpleUploadedFile("holiday.jpg", PNG, content_type="image/jpeg")  # the name and type lie

    with on_commit():
        response = user.post(MESSAGES, {"to": RECIPIENT, "text": "Look", "media": upload}, format="multipart")

    assert response.status_code == 202, response.content
    body = data_of(response)
    assert (body["kind"], body["media_mimetype"], body["media_size"], body["media_filename"]) == (
        "image",
        "image/png",
        len(PNG),
        "holiday.jpg",
    )
    assert data_of(user.get(f"{MESSAGES}{body['id']}/"))["status"] == "read"


@pytest.mark.django_db
def test_a_url_encoded_form_is_not_taken_multipart_is_for_uploads(user, session):
    form = "to=%2B34600000001&text=Hola"
    response = user.generic("POST", MESSAGES, form, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415, response.content
    assert code_of(response) == "unsupported_media_type"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_media_by_url_is_accepted_for_the_send_task_to_fetch(user, session):
    response = send(user, {"to": RECIPIENT, "media_url": "https://example.com/cat.png", "text": "Cat"})

    assert response.status_code == 202
    body = data_of(response)
    assert (body["kind"], body["media_url"], body["status"]) == (
        "image",
        "https://example.com/cat.png",
        "queued",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "600000001", "text": "x"}, "to"),
        ({"to": "+34 12", "text": "x"}, "to"),
        ({"text": "x"}, "to"),
        ({"to": RECIPIENT}, "text"),
        ({"to": RECIPIENT, "text": "x" * 5000}, "text"),
        ({"to": RECIPIENT, "media_url": "ftp://example.com/a.png"}, "media_url"),
        ({"to": RECIPIENT, "media_url": "https://example.com/setup.exe"}, "media_url"),
        ({"to": RECIPIENT, "text": "x", "priority": "high"}, "priority"),
        ({"to": RECIPIENT, "text": None}, "text"),
        ({"to": RECIPIENT, "media": "not a file"}, "media"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_nothing_is_sent(user, user_id, session, body, field):
    response = send(user, body)

    assert response.status_code == 400, response.content
    assert code_of(response) == "validation_error"
    assert field in details_of(response)
    assert not Message.objects.exists()
    assert used_today(user_id) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "fragment"),
    [(EXE, "Unsupported media type"), (PNG + b"\x00" * 200, "the limit is 100 bytes"), (b"", "empty")],
)
def test_uploads_of_a_refused_type_or_size_are_refused(
    user, user_id, session, messaging_conf, content, fragment
):
    messaging_conf(MEDIA_MAX_BYTES=100)
    upload = SimpleUploadedFile("file.png", content, content_type="image/png")

    response = user.post(MESSAGES, {"to": RECIPIENT, "media": upload}, format="multipart")

    assert response.status_code == 400
    assert code_of(response) == "validation_error"
    assert fragment in details_of(response)["media"][0]
    assert not Message.objects.exists()
    assert used_today(user_id) == 0


@pytest.mark.django_db
def test_without_a_working_session_a_send_is_409(user, user_id):
    SessionFactory(user_id=user_id, status="scan_qr_code")

    response = send(user, {"to": RECIPIENT, "text": "x"})

    assert response.status_code == 409
    assert code_of(response) == "session_not_working"
    assert not Message.objects.exists()
    assert used_today(user_id) == 0


@pytest.mark.django_db
def test_anonymous_callers_cannot_send(api_client, session):
    response = send(api_client, {"to": RECIPIENT, "text": "x"})

    assert response.status_code == 401
    assert not Message.objects.exists()


# -- Idempotency-Key ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_retried_send_with_the_same_key_answers_the_first_message(user, user_id, session, on_commit):
    with on_commit() as first_callbacks:
        first = send(user, {"to": RECIPIENT, "text": "Once"}, HTTP_IDEMPOTENCY_KEY="order-42-shipped")
    with on_commit() as retry_callbacks:
        retry = send(user, {"to": RECIPIENT, "text": "Once"}, HTTP_IDEMPOTENCY_KEY="order-42-shipped")

    assert (first.status_code, retry.status_code) == (202, 200)
    assert retry["Idempotent-Replayed"] == "true"
    assert data_of(retry)["id"] == data_of(first)["id"]
    assert Message.objects.count() == 1
    assert used_today(user_id) == 1
    assert (len(first_callbacks), len(retry_callbacks)) == (1, 0)  # one send task, not two


@pytest.mark.django_db
def test_the_same_key_for_another_message_is_409(user, user_id, session):
    send(user, {"to": RECIPIENT, "text": "One"}, HTTP_IDEMPOTENCY_KEY="k1")

    response = send(user, {"to": RECIPIENT, "text": "Two"}, HTTP_IDEMPOTENCY_KEY="k1")

    assert response.status_code == 409
    assert code_of(response) == "idempotency_key_reused"
    assert list(Message.objects.values_list("text", flat=True)) == ["One"]
    assert used_today(user_id) == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(user, session, client_for):
    other_session = SessionFactory()
    mine = send(user, {"to": RECIPIENT, "text": "Hi"}, HTTP_IDEMPOTENCY_KEY="shared-key")

    theirs = send(
        client_for(other_session.user_id), {"to": RECIPIENT, "text": "Hi"}, HTTP_IDEMPOTENCY_KEY="shared-key"
    )

    assert (mine.status_code, theirs.status_code) == (202, 202)
    assert data_of(mine)["id"] != data_of(theirs)["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["with space", "x" * 256, "ключ"])
def test_a_malformed_key_is_refused(user, session, key):
    response = send(user, {"to": RECIPIENT, "text": "x"}, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert list(details_of(response)) == ["idempotency_key"]
    assert not Message.objects.exists()


# -- quota ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_over_the_daily_quota_a_send_is_429_saying_when_it_resets(user, user_id, session):
    QuotaOverride.objects.create(user_id=user_id, daily_limit=1)
    assert send(user, {"to": RECIPIENT, "text": "1"}).status_code == 202

    response = send(user, {"to": RECIPIENT, "text": "2"})

    assert response.status_code == 429
    assert code_of(response) == "quota_exceeded"
    details = details_of(response)
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert (details["limit"], details["used"]) == (1, 1)
    assert details["resets_at"] == f"{tomorrow}T00:00:00+00:00"
    assert 0 < int(response["Retry-After"]) <= 86400
    assert Message.objects.count() == 1
    assert used_today(user_id) == 1


# -- reading ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_list_holds_the_callers_messages_newest_first(user, session):
    older = MessageFactory(session=session, created_at=timezone.now() - timedelta(minutes=5))
    newer = MessageFactory(session=session)
    MessageFactory()  # someone else's
    MessageFactory(session=session, purpose=Purpose.PROBE)  # a health probe

    response = user.get(MESSAGES)

    assert response.status_code == 200
    assert [m["id"] for m in data_of(response)] == [str(newer.id), str(older.id)]
    assert response.json()["meta"]["pagination"]["count"] == 2


@pytest.mark.django_db
def test_the_list_filters(user, user_id, session):
    other_session = SessionFactory(user_id=user_id, status="stopped")
    read = MessageFactory(session=session, status=MessageStatus.READ, peer_number="+34600000002")
    inbound = MessageFactory(session=session, direction=Direction.INBOUND, status=MessageStatus.RECEIVED)
    old = MessageFactory(session=other_session, created_at=timezone.now() - timedelta(days=2))

    def ids(**params):
        response = user.get(MESSAGES, params)
        assert response.status_code == 200, response.content
        return {m["id"] for m in data_of(response)}

    assert ids(status="read") == {str(read.id)}
    assert ids(direction="inbound") == {str(inbound.id)}
    assert ids(peer_number="+34 600 00 00 02") == {str(read.id)}
    assert ids(session=str(other_session.id)) == {str(old.id)}
    assert ids(created_before=(timezone.now() - timedelta(days=1)).isoformat()) == {str(old.id)}
    assert ids(created_after=(timezone.now() - timedelta(days=1)).isoformat()) == {
        str(read.id),
        str(inbound.id),
    }
    assert ids(status="") == {str(read.id), str(inbound.id), str(old.id)}  # blank is no filter


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"direction": "sideways"}, "direction"),
        ({"peer_number": "12345"}, "peer_number"),
        ({"session": "not-a-uuid"}, "session"),
        ({"created_after": "yesterday"}, "created_after"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(user, params, field):
    response = user.get(MESSAGES, params)

    assert response.status_code == 400
    assert list(details_of(response)) == [field]


@pytest.mark.django_db
def test_one_message(user, session):
    message = MessageFactory(session=session, status=MessageStatus.FAILED, error_code="provider_rejected")

    response = user.get(f"{MESSAGES}{message.id}/")

    assert response.status_code == 200
    assert (data_of(response)["status"], data_of(response)["error_code"]) == ("failed", "provider_rejected")


@pytest.mark.django_db
def test_another_users_message_is_not_found(stranger):
    message = MessageFactory()

    response = stranger.get(f"{MESSAGES}{message.id}/")

    assert response.status_code == 404
    assert code_of(response) == "not_found"
    assert stranger.get(f"{MESSAGES}{uuid.uuid4()}/").status_code == 404
