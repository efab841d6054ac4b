"""identity's events: the local copy of users, and the account e-mails, each sent once."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from messaging.notifications.models import Notification, NotificationStatus, Recipient
from messaging.notifications.services import notification_opt_out
from servicekit.envelope.errors import ApplicationError
from tests.factories import RecipientFactory

VERIFY_URL = "http://localhost:8080/account/verify/?token=tok-123"
RESET_URL = "http://localhost:8080/account/reset-password/?token=reset-456"


def registered(user_id, **overrides):
    return {
        "user_id": str(user_id),
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "roles": ["customer"],
        "is_active": True,
        "email_verified": False,
        "verification_url": VERIFY_URL,
        "verification_token": "tok-123",
        "verification_expires_at": "2026-03-16T12:00:00Z",
        **overrides,
    }


def sent_kinds(captured_events):
    return sorted(event.data["kind"] for event in captured_events.of_type("messaging.email.sent"))


@pytest.mark.django_db
def test_registration_sends_the_verification_link_and_a_welcome(
    user_id, deliver_event, mailoutbox, captured_events, on_commit
):
    with on_commit():
        deliver_event("identity.user.registered", registered(user_id), subject=str(user_id))

    assert sorted(mail.subject for mail in mailoutbox) == [
        "Confirm your e-mail address",
        "Welcome to the platform",
    ]
    verification = next(mail for mail in mailoutbox if mail.subject.startswith("Confirm"))
    assert verification.to == ["ada@example.com"]
    assert verification.body.startswith("Hello Ada Lovelace,")
    assert VERIFY_URL in verification.body
    [(html, mimetype)] = verification.alternatives
    assert mimetype == "text/html" and f'href="{VERIFY_URL}"' in html
    assert verification.extra_headers["Content-Language"] == "en"
    assert sent_kinds(captured_events) == ["email_verification", "welcome"]
    recipient = Recipient.objects.get(pk=user_id)
    assert (recipient.email, recipient.display_name, recipient.is_active) == (
        "ada@example.com",
        "Ada Lovelace",
        True,
    )


@pytest.mark.django_db
def test_a_redelivered_registration_sends_nothing_more(
    user_id, deliver_event, mailoutbox, captured_events, on_commit
):
    with on_commit():
        outcome = deliver_event("identity.user.registered", registered(user_id))
    with on_commit():
        again = deliver_event.again(outcome.event)

    assert again.duplicates == ["messaging.notifications.handlers.send_registration_emails"]
    assert len(mailoutbox) == 2
    assert sent_kinds(captured_events) == ["email_verification", "welcome"]


@pytest.mark.django_db
def test_even_past_the_inbox_each_email_of_an_event_is_sent_once(
    user_id, deliver_event, mailoutbox, on_commit
):
    """A handler renamed between two deliveries gets a new inbox key: the (event, kind) rows hold."""
    from messaging.notifications.handlers import send_registration_emails

    with on_commit():
        outcome = deliver_event("identity.user.registered", registered(user_id))
    with on_commit():
        send_registration_emails(outcome.event)

    assert len(mailoutbox) == 2
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_an_already_verified_account_gets_only_the_welcome(user_id, deliver_event, mailoutbox, on_commit):
    with on_commit():
        deliver_event(
            "identity.user.registered",
            registered(user_id, email_verified=True, verification_url=None, verification_expires_at=None),
        )

    assert [mail.subject for mail in mailoutbox] == ["Welcome to the platform"]


@pytest.mark.django_db
def test_a_new_verification_link_on_request(user_id, deliver_event, mailoutbox, on_commit):
    data = {
        "user_id": str(user_id),
        "email": "ada@example.com",
        "first_name": "Ada",
        "verification_url": VERIFY_URL,
        "verification_token": "tok-123",
        "verification_expires_at": "2026-03-16T12:00:00Z",
    }

    with on_commit():
        deliver_event("identity.user.email_verification_requested", data)

    [mail] = mailoutbox
    assert (mail.subject, mail.to) == ("Confirm your e-mail address", ["ada@example.com"])
    assert "Hello Ada," in mail.body and VERIFY_URL in mail.body
    assert "expires on March 16, 2026" in mail.body


def reset_requested(user_id):
    return {
        "user_id": str(user_id),
        "email": "ada@example.com",
        "first_name": "Ada",
        "reset_url": RESET_URL,
        "reset_token": "reset-456",
        "reset_expires_at": "2026-03-14T13:00:00Z",
    }


@pytest.mark.django_db
def test_password_reset_sends_the_link_and_forgets_it_once_sent(
    user_id, deliver_event, mailoutbox, on_commit
):
    with on_commit():
        deliver_event("identity.user.password_reset_requested", reset_requested(user_id))

    [mail] = mailoutbox
    assert mail.subject == "Reset your password"
    assert RESET_URL in mail.body
    assert "security message" in mail.body
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.SENT
    assert "reset_url" not in notification.context  # a credential: not kept after sending


@pytest.mark.django_db
def test_security_mail_cannot_be_turned_off(user_id, deliver_event, mailoutbox, on_commit):
    with pytest.raises(ApplicationError) as raised:
        notification_opt_out(user_id=user_id, kind="password_reset")
    assert raised.value.code == "notification_not_optional"

    with on_commit():
        deliver_event("identity.user.password_reset_requested", reset_requested(user_id))

    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_user_opted_out_of_welcomes_still_gets_the_verification_link(
    user_id, deliver_event, mailoutbox, on_commit
):
    notification_opt_out(user_id=user_id, kind="welcome")

    with on_commit():
        deliver_event("identity.user.registered", registered(user_id))

    assert [mail.subject for mail in mailoutbox] == ["Confirm your e-mail address"]
    skipped = Notification.objects.get(kind="welcome")
    assert (skipped.status, skipped.skip_reason, skipped.context) == (
        NotificationStatus.SKIPPED,
        "opted_out",
        {},
    )


@pytest.mark.django_db
def test_a_profile_update_refreshes_the_local_copy(deliver_event):
    recipient = RecipientFactory(source_event_at=datetime.now(UTC) - timedelta(minutes=1))
    data = {
        "user_id": str(recipient.user_id),
        "email": "new@example.com",
        "first_name": "Augusta",
        "roles": ["customer"],
        "is_active": True,
        "email_verified": True,
        "changed": ["email", "first_name"],
    }

    deliver_event("identity.user.updated", data)

    recipient.refresh_from_db()
    assert (recipient.email, recipient.first_name, recipient.last_name) == (
        "new@example.com",
        "Augusta",
        "Lovelace",
    )


@pytest.mark.django_db
def test_the_language_identity_says_is_the_language_of_the_users_emails(
    user_id, deliver_event, mailoutbox, on_commit
):
    with on_commit():
        deliver_event("identity.user.registered", registered(user_id, language="es"))

    assert Recipient.objects.get(pk=user_id).language == "es"
    assert sorted(mail.subject for mail in mailoutbox) == [
        "Confirma tu dirección de correo",
        "Te damos la bienvenida a la plataforma",
    ]


@pytest.mark.django_db
def test_a_language_change_reaches_the_local_copy(deliver_event):
    recipient = RecipientFactory(language="", source_event_at=datetime.now(UTC) - timedelta(minutes=1))
    data = {
        "user_id": str(recipient.user_id),
        "email": recipient.email,
        "language": "es",
        "roles": ["customer"],
        "is_active": True,
        "email_verified": True,
        "changed": ["language"],
    }

    deliver_event("identity.user.updated", data)

    recipient.refresh_from_db()
    assert recipient.language == "es"


@pytest.mark.django_db
def test_a_reset_link_goes_out_in_the_language_the_event_says(user_id, deliver_event, mailoutbox, on_commit):
    RecipientFactory(user_id=user_id, language="en")

    with on_commit():
        deliver_event(
            "identity.user.password_reset_requested", {**reset_requested(user_id), "language": "es"}
        )

    [mail] = mailoutbox
    assert mail.subject == "Restablece tu contraseña"
    assert mail.extra_headers["Content-Language"] == "es"


@pytest.mark.django_db
def test_an_older_update_arriving_late_changes_nothing():
    from messaging.notifications.services import recipient_upsert

    now = datetime.now(UTC)
    recipient = RecipientFactory(email="newest@example.com", source_event_at=now)

    recipient_upsert(
        user_id=recipient.user_id, email="older@example.com", occurred_at=now - timedelta(seconds=5)
    )

    recipient.refresh_from_db()
    assert recipient.email == "newest@example.com"


@pytest.mark.django_db
def test_deactivation_marks_the_copy_inactive(deliver_event):
    recipient = RecipientFactory(source_event_at=datetime.now(UTC) - timedelta(minutes=1))

    deliver_event(
        "identity.user.deactivated",
        {"user_id": str(recipient.user_id), "email": recipient.email, "api_key_prefixes": []},
    )

    recipient.refresh_from_db()
    assert recipient.is_active is False


@pytest.mark.django_db
def test_a_registration_attempt_warns_the_owner_of_the_address(deliver_event, mailoutbox, on_commit):
    user_id = uuid.uuid4()
    data = {"user_id": str(user_id), "email": "ada@example.com", "first_name": "Ada", "last_name": ""}

    with on_commit():
        outcome = deliver_event("identity.user.registration_attempted", data)
    with on_commit():
        deliver_event.again(outcome.event)

    [mail] = mailoutbox
    assert mail.subject == "Someone tried to register with your address"
    assert "ada@example.com" in mail.body and "security message" in mail.body
