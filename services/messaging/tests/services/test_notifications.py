"""Sending e-mails: through SMTP (a fake server), retried and given up; opt-outs; rendering every
kind in both languages; the development backend writing one .eml file per message."""

import email
import email.policy
import logging
import socket
import uuid

import pytest

from messaging.notifications.mailfiles import EmlFileBackend
from messaging.notifications.models import Notification, NotificationKind, NotificationStatus
from messaging.notifications.rendering import render_email, supported_language
from messaging.notifications.services import (
    notification_deliver,
    notification_opt_in,
    notification_opt_out,
    notification_request,
)
from messaging.testing.fake_smtp import FakeSmtp
from servicekit.envelope.errors import ApplicationError
from tests.factories import RecipientFactory

CONTEXTS = {
    "email_verification": {
        "email": "a@example.com",
        "verification_url": "http://x/v?t=1",
        "expires_at": None,
    },
    "welcome": {"email": "a@example.com"},
    "password_reset": {"reset_url": "http://x/r?t=2", "expires_at": "2026-03-14T13:00:00Z"},
    "registration_attempt": {"email": "a@example.com"},
    "order_placed": {"order_id": str(uuid.UUID(int=9)), "total": "5.00", "currency": "USD", "lines": []},
    "order_confirmed": {
        "order_id": str(uuid.UUID(int=9)),
        "total": "5.00",
        "currency": "USD",
        "payment_due_at": None,
    },
    "order_paid": {"order_id": str(uuid.UUID(int=9)), "amount": "5.00", "currency": "USD"},
    "order_shipped": {"order_id": str(uuid.UUID(int=9))},
    "order_rejected": {"order_id": str(uuid.UUID(int=9)), "reason": "out of stock"},
    "order_cancelled": {"order_id": str(uuid.UUID(int=9)), "reason": "something new"},
    "build_failed": {"build_id": 3},
    "build_published": {"build_id": 3},
}


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend, as in production, against a fake SMTP server."""
    with FakeSmtp() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 2
        yield server


def request(kind="order_paid", *, user_id=None, **fields):
    return notification_request(
        event_id=uuid.uuid4(),
        event_type="orders.order.paid",
        kind=kind,
        context=CONTEXTS[kind],
        user_id=user_id,
        **fields,
    )


# -- rendering ----------------------------------------------------------------------------------
def test_the_contexts_cover_every_kind():
    assert set(CONTEXTS) == set(NotificationKind.values)


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_every_kind_renders_text_and_html_in_both_languages(settings, kind):
    english = render_email(kind=kind, context=CONTEXTS[kind], language="en", name="Ada")
    spanish = render_email(kind=kind, context=CONTEXTS[kind], language="es", name="Ada")

    for rendered, greeting, team in (
        (english, "Hello Ada,", "The platform team"),
        (spanish, "Hola, Ada:", "El equipo"),
    ):
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.text.startswith(greeting) and team in rendered.text
        assert rendered.html.startswith("<!DOCTYPE html>") and greeting in rendered.html
        assert "{{" not in rendered.text + rendered.html and "%(" not in rendered.text + rendered.subject
    assert (english.language, spanish.language) == ("en", "es")
    assert spanish.subject != english.subject
    assert spanish.text != english.text


def test_html_escapes_what_came_from_an_event():
    rendered = render_email(
        kind="order_rejected",
        context={"order_id": str(uuid.UUID(int=9)), "reason": "<script>alert(1)</script>"},
        language="en",
    )

    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text  # plain text is not HTML


@pytest.mark.parametrize(
    ("language", "chosen"),
    [("es", "es"), ("es-MX", "es"), ("ES_es", "es"), ("fr", "en"), ("", "en"), (None, "en")],
)
def test_an_unshipped_language_falls_back_to_english(language, chosen):
    assert supported_language(language) == chosen


# -- sending ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_email_goes_out_through_smtp_once(smtp, captured_events, on_commit):
    recipient = RecipientFactory(language="es")

    with on_commit():
        notification = request(user_id=recipient.user_id)
    again = notification_deliver(notification_id=notification.pk)

    [received] = smtp.messages
    assert received.recipients == [recipient.email]
    assert received.parsed["Subject"] == "Pago recibido del pedido #00000000"
    assert received.parsed["Content-Language"] == "es"
    assert received.parsed["X-Notification-Kind"] == "order_paid"
    parts = {
        part.get_content_type(): part.get_content()
        for part in received.parsed.walk()
        if not part.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    assert "5,00 USD" in parts["text/plain"]
    assert again.outcome == "skipped"  # a redelivered task sends nothing
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.subject) == (
        NotificationStatus.SENT,
        1,
        "Pago recibido del pedido #00000000",
    )
    event = captured_events.assert_published("messaging.email.sent", subject=str(notification.pk))
    assert (event.data["kind"], event.data["language"], event.data["user_id"]) == (
        "order_paid",
        "es",
        str(recipient.user_id),
    )


@pytest.mark.django_db
def test_a_refusing_mail_server_is_retried_until_it_accepts(smtp, messaging_conf, on_commit, eager_retries):
    messaging_conf(EMAIL_MAX_ATTEMPTS=5, SEND_RETRY_BASE_SECONDS=0.0)
    smtp.refuse_next(2)
    recipient = RecipientFactory()

    with on_commit():
        notification = request(user_id=recipient.user_id)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        NotificationStatus.SENT,
        3,
        "",
    )
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_an_unreachable_mail_server_fails_the_email_after_the_last_attempt(
    settings, messaging_conf, captured_events, on_commit, eager_retries
):
    messaging_conf(EMAIL_MAX_ATTEMPTS=3, SEND_RETRY_BASE_SECONDS=0.0)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1
    recipient = RecipientFactory()

    with on_commit():
        notification = request("password_reset", user_id=recipient.user_id, email=recipient.email)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.FAILED, 3)
    assert "ConnectionRefusedError" in notification.last_error
    assert notification.context == {}  # the reset link is not kept
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_opting_out_after_the_event_but_before_the_send_is_honoured(
    mailoutbox, django_capture_on_commit_callbacks
):
    recipient = RecipientFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        notification = request(user_id=recipient.user_id)

    notification_opt_out(user_id=recipient.user_id, kind="order_paid")
    for callback in callbacks:
        callback()

    notification.refresh_from_db()
    assert (notification.status, notification.skip_reason) == (NotificationStatus.SKIPPED, "opted_out")
    assert mailoutbox == []


@pytest.mark.django_db
def test_opting_back_in(mailoutbox, on_commit):
    recipient = RecipientFactory()
    notification_opt_out(user_id=recipient.user_id, kind="order_paid")
    notification_opt_out(user_id=recipient.user_id, kind="order_paid")  # twice: still one row
    notification_opt_in(user_id=recipient.user_id, kind="order_paid")

    with on_commit():
        request(user_id=recipient.user_id)

    assert len(mailoutbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("email_verification", "notification_not_optional"),
        ("registration_attempt", "notification_not_optional"),
        ("newsletter", "validation_error"),
    ],
)
def test_only_known_non_security_kinds_can_be_turned_off(user_id, kind, code):
    with pytest.raises(ApplicationError) as raised:
        notification_opt_out(user_id=user_id, kind=kind)

    assert raised.value.code == code


@pytest.mark.django_db
def test_asking_twice_for_the_same_email_of_an_event_returns_the_first(mailoutbox, on_commit):
    recipient = RecipientFactory()
    event_id = uuid.uuid4()
    ask = lambda: notification_request(  # noqa: E731
        event_id=event_id,
        event_type="orders.order.paid",
        kind="order_paid",
        context=CONTEXTS["order_paid"],
        user_id=recipient.user_id,
    )

    with on_commit():
        first, second = ask(), ask()

    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


# -- the development backend --------------------------------------------------------------------
def test_the_development_backend_writes_one_eml_file_per_message_and_logs_it(tmp_path, caplog):
    from django.core.mail import EmailMultiAlternatives

    rendered = render_email(kind="welcome", context=CONTEXTS["welcome"], language="en", name="Ada")
    messages = []
    for to in ("a@example.com", "b@example.com"):
        message = EmailMultiAlternatives(rendered.subject, rendered.text, "from@example.com", [to])
        message.attach_alternative(rendered.html, "text/html")
        messages.append(message)

    with caplog.at_level(logging.INFO, logger="messaging.notifications.mailfiles"):
        sent = EmlFileBackend(mail_dir=tmp_path / "mail").send_messages(messages)

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert sent == 2 and len(files) == 2
    assert list((tmp_path / "mail").glob("*.part")) == []
    parsed = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    assert sorted(message["To"] for message in parsed) == ["a@example.com", "b@example.com"]
    assert parsed[0].get_body(("html",)).get_content().startswith("<!DOCTYPE html>")
    lines = [record for record in caplog.records if record.name == "messaging.notifications.mailfiles"]
    assert len(lines) == 2
    assert {record.mail_file for record in lines} == {str(path) for path in files}
    assert all(record.mail_subject == "Welcome to the platform" for record in lines)
    assert "a@example.com" in lines[0].getMessage() + lines[1].getMessage()


def test_the_development_backend_is_the_default_outside_tests_and_writes_under_mail_dir(tmp_path, settings):
    from messaging.conf import EML_BACKEND, messaging_settings
    from servicekit.settings import Env

    conf = messaging_settings(Env(), base_dir=settings.BASE_DIR, environment="development")

    assert conf["EMAIL"]["EMAIL_BACKEND"] == EML_BACKEND
    assert conf["MAIL_DIR"].endswith("var/mail")
    settings.MAIL_DIR = str(tmp_path)
    assert EmlFileBackend().mail_dir == tmp_path


@pytest.mark.django_db
def test_a_message_sent_again_with_its_message_id_is_kept_once_by_the_development_mailbox(tmp_path):
    from django.core.mail import EmailMessage

    def message(to: str, message_id: str) -> EmailMessage:
        return EmailMessage("Hi", "body", "from@example.com", [to], headers={"Message-ID": message_id})

    backend = EmlFileBackend(mail_dir=tmp_path)
    backend.send_messages([message("a@example.com", "<one@example.com>")])
    backend.send_messages([message("a@example.com", "<one@example.com>")])  # the same message again
    backend.send_messages([message("a@example.com", "<two@example.com>")])

    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    ids = sorted(email.message_from_bytes(path.read_bytes())["Message-ID"] for path in files)
    assert ids == ["<one@example.com>", "<two@example.com>"]


@pytest.mark.django_db
def test_a_notification_sent_again_after_its_worker_died_is_the_same_message(
    smtp, on_commit, tmp_path, settings
):
    """A worker killed after the send but before the row said "sent" leaves it pending: the
    redelivered task sends it again, with the same Message-ID, and the mailbox keeps one."""
    recipient = RecipientFactory()
    with on_commit():
        notification = request(user_id=recipient.user_id)
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.PENDING)
    notification_deliver(notification_id=notification.pk)

    first, second = smtp.messages
    assert first.parsed["Message-ID"] == second.parsed["Message-ID"]
    assert str(first.parsed["Message-ID"]).strip().startswith(f"<notification-{notification.pk}@")

    settings.EMAIL_BACKEND = "messaging.notifications.mailfiles.EmlFileBackend"
    settings.MAIL_DIR = str(tmp_path)
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.PENDING)
    notification_deliver(notification_id=notification.pk)
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.PENDING)
    notification_deliver(notification_id=notification.pk)
    assert len(list(tmp_path.glob("*.eml"))) == 1
