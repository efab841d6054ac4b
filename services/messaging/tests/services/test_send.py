"""Accepting a send: validation, the working session, the quota, Idempotency-Key."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.chat.models import Message, MessageKind
from messaging.chat.services import message_send
from messaging.sessions.models import SessionStatus
from servicekit.envelope.errors import ApplicationError, Conflict
from tests.conftest import RECIPIENT
from tests.factories import EXE, PDF, PNG, SessionFactory, used_today


@pytest.fixture
def session(user_id):
    return SessionFactory(user_id=user_id)


def assert_refused(error, field: str, fragment: str):
    assert error.code == "validation_error"
    assert list(error.details) == [field]
    assert fragment in error.details[field][0]


@pytest.mark.django_db
def test_a_text_is_queued_counted_and_handed_to_the_send_task(
    session, user_id, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = message_send(user_id=user_id, to="+34 600 00 00 01", text="Hola")

    message = result.message
    assert result.created
    assert (message.status, message.kind, message.peer_number, message.text) == (
        "queued",
        "text",
        RECIPIENT,
        "Hola",
    )
    assert message.session_id == session.pk
    assert used_today(user_id) == 1
    assert len(callbacks) == 1  # the send task, enqueued once the transaction commits


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("600000001", "international format"),  # no country code
        ("+34 12", "does not exist"),
        ("+999 1234567", "not a phone number"),
        ("+34600000001" + "1" * 30, "international format"),
        ("", "international format"),
        ("+1 555 0100", "does not exist"),
    ],
)
def test_a_bad_number_is_refused_and_nothing_is_counted(session, user_id, number, fragment):
    with pytest.raises(ApplicationError) as raised:
        message_send(user_id=user_id, to=number, text="x")

    assert_refused(raised.value, "to", fragment)
    assert Message.objects.count() == 0
    assert used_today(user_id) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("", "text", "needs text or media"),
        ("   ", "text", "needs text or media"),
        ("x" * 4097, "text", "limit is 4096"),
    ],
)
def test_text_must_be_there_and_within_the_limit(session, user_id, text, field, fragment):
    with pytest.raises(ApplicationError) as raised:
        message_send(user_id=user_id, to=RECIPIENT, text=text)

    assert_refused(raised.value, field, fragment)
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_an_uploaded_image_is_sniffed_stored_and_sent_with_its_caption(session, user_id):
    upload = SimpleUploadedFile("../../etc/holiday.png", PNG, content_type="application/pdf")

    message = message_send(user_id=user_id, to=RECIPIENT, text="look", media_file=upload).message

    assert (message.kind, message.media_mimetype, message.media_size) == (
        MessageKind.IMAGE,
        "image/png",
        len(PNG),
    )
    assert message.media_filename == "holiday.png"
    assert message.media_file.name.endswith(str(message.id))  # stored under our id, never the client's name
    with message.media_file.open("rb") as stored:
        assert stored.read() == PNG


@pytest.mark.django_db
def test_a_document_is_accepted(session, user_id):
    message = message_send(
        user_id=user_id, to=RECIPIENT, media_file=SimpleUploadedFile("report.pdf", PDF)
    ).message

    assert (message.kind, message.media_mimetype) == (MessageKind.DOCUMENT, "application/pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (EXE, "Unsupported media type application/x-msdownload"),
        (b"just text", "Unsupported media type unknown"),
        (b"", "empty"),
    ],
)
def test_media_of_a_refused_type_is_refused(session, user_id, content, fragment):
    with pytest.raises(ApplicationError) as raised:
        message_send(user_id=user_id, to=RECIPIENT, media_file=SimpleUploadedFile("photo.png", content))

    assert_refused(raised.value, "media", fragment)
    assert Message.objects.count() == 0
    assert used_today(user_id) == 0


@pytest.mark.django_db
def test_oversized_media_is_refused(session, user_id, messaging_conf):
    messaging_conf(MEDIA_MAX_BYTES=len(PNG) - 1)

    with pytest.raises(ApplicationError) as raised:
        message_send(user_id=user_id, to=RECIPIENT, media_file=SimpleUploadedFile("a.png", PNG))

    assert_refused(raised.value, "media", f"is {len(PNG)} bytes; the limit is {len(PNG) - 1} bytes")
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_caption_has_its_own_limit(session, user_id):
    with pytest.raises(ApplicationError) as raised:
        message_send(
            user_id=user_id, to=RECIPIENT, text="x" * 1025, media_file=SimpleUploadedFile("a.png", PNG)
        )

    assert_refused(raised.value, "text", "limit is 1024")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/a.png", "http(s) URL"),
        ("file:///etc/passwd", "http(s) URL"),
        ("https://", "http(s) URL"),
        ("https://example.com/" + "a" * 2100 + ".png", "http(s) URL"),
        ("https://example.com/setup.exe", "Unsupported media type"),
    ],
)
def test_a_media_url_is_checked_for_what_can_be_seen_before_fetching(session, user_id, url, fragment):
    with pytest.raises(ApplicationError) as raised:
        message_send(user_id=user_id, to=RECIPIENT, media_url=url)

    assert_refused(raised.value, "media_url", fragment)
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_media_url_is_queued_for_the_send_task_to_fetch(session, user_id):
    message = message_send(user_id=user_id, to=RECIPIENT, media_url="https://example.com/p/photo.jpg").message

    assert (message.kind, message.media_url, message.media_mimetype, message.media_filename) == (
        MessageKind.IMAGE,
        "https://example.com/p/photo.jpg",
        "",  # sniffed when fetched
        "photo.jpg",
    )


@pytest.mark.django_db
def test_both_a_file_and_a_url_is_refused(session, user_id):
    with pytest.raises(ApplicationError) as raised:
        message_send(
            user_id=user_id,
            to=RECIPIENT,
            media_file=SimpleUploadedFile("a.png", PNG),
            media_url="https://example.com/a.png",
        )

    assert_refused(raised.value, "media", "not both")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [SessionStatus.SCAN_QR_CODE, SessionStatus.STOPPED, None])
def test_without_a_working_session_nothing_is_queued_or_counted(user_id, status):
    if status is not None:
        SessionFactory(user_id=user_id, status=status)
    SessionFactory()  # another user's working session is no use

    with pytest.raises(Conflict) as raised:
        message_send(user_id=user_id, to=RECIPIENT, text="x")

    assert raised.value.code == "session_not_working"
    assert Message.objects.count() == 0
    assert used_today(user_id) == 0


# -- Idempotency-Key ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_retried_send_with_the_same_key_is_a_no_op(session, user_id, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="k-1")
    with django_capture_on_commit_callbacks() as retry_callbacks:
        retry = message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="k-1")

    assert (first.created, retry.created) == (True, False)
    assert retry.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert used_today(user_id) == 1
    assert (len(first_callbacks), len(retry_callbacks)) == (1, 0)  # sent once


@pytest.mark.django_db
def test_a_retried_upload_with_the_same_key_is_a_no_op(session, user_id):
    first = message_send(
        user_id=user_id, to=RECIPIENT, media_file=SimpleUploadedFile("a.png", PNG), idempotency_key="k"
    )
    retry = message_send(
        user_id=user_id, to=RECIPIENT, media_file=SimpleUploadedFile("a.png", PNG), idempotency_key="k"
    )

    assert (retry.created, retry.message.pk) == (False, first.message.pk)


@pytest.mark.django_db
def test_a_retry_needs_no_quota_left(session, user_id, messaging_conf):
    messaging_conf(DAILY_MESSAGE_LIMIT=1)
    first = message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="k-1")

    retry = message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="k-1")

    assert retry.message.pk == first.message.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changed",
    [{"text": "Adiós"}, {"to": "+34600000002"}, {"media_file": SimpleUploadedFile("a.png", PNG)}],
)
def test_the_same_key_for_another_message_is_a_conflict(session, user_id, changed):
    message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="k-1")

    with pytest.raises(Conflict) as raised:
        message_send(
            **{"user_id": user_id, "to": RECIPIENT, "text": "Hola", "idempotency_key": "k-1", **changed}
        )

    assert raised.value.code == "idempotency_key_reused"
    assert Message.objects.count() == 1
    assert used_today(user_id) == 1


@pytest.mark.django_db
def test_keys_belong_to_their_user(session, user_id):
    other = SessionFactory()
    mine = message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="k-1")

    theirs = message_send(user_id=other.user_id, to=RECIPIENT, text="Otro", idempotency_key="k-1")

    assert theirs.created and theirs.message.pk != mine.message.pk


@pytest.mark.django_db
def test_a_key_longer_than_255_characters_is_refused(session, user_id):
    with pytest.raises(ApplicationError) as raised:
        message_send(user_id=user_id, to=RECIPIENT, text="x", idempotency_key="k" * 256)

    assert_refused(raised.value, "idempotency_key", "255")


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_one_key_make_one_message(user_id):
    from servicekit.testing.concurrency import run_concurrently

    SessionFactory(user_id=user_id)
    results = []

    def send():
        results.append(message_send(user_id=user_id, to=RECIPIENT, text="Hola", idempotency_key="same"))

    errors = run_concurrently([send] * 8)

    assert errors == []
    assert len({result.message.pk for result in results}) == 1
    assert sorted(result.created for result in results) == [False] * 7 + [True]
    assert Message.objects.count() == 1
    assert used_today(user_id) == 1


@pytest.mark.django_db
def test_nothing_is_published_when_a_message_is_accepted(session, user_id, captured_events):
    message_send(user_id=user_id, to=RECIPIENT, text="Hola")

    captured_events.assert_nothing_published()  # "sent" comes from the send task
