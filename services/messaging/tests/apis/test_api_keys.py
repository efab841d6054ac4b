"""API keys work on every messaging API, each operation asking for its scope:
``messaging:read`` to read, ``messaging:send`` to send and to manage sessions and preferences."""

import pytest

from messaging.chat.models import Message
from messaging.notifications.models import OptOut
from messaging.sessions.models import Session
from tests.apis.conftest import code_of
from tests.conftest import RECIPIENT
from tests.factories import MessageFactory, SessionFactory

MESSAGES = "/api/v1/messaging/messages/"
SESSIONS = "/api/v1/messaging/sessions/"
READS = [
    MESSAGES,
    SESSIONS,
    "/api/v1/messaging/quotas/me/",
    "/api/v1/messaging/notification-preferences/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", READS)
def test_a_read_key_reads(api_key_client_for, user_id, path):
    response = api_key_client_for(user_id, scopes=["messaging:read"]).get(path)

    assert response.status_code == 200, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", READS)
def test_a_key_without_the_read_scope_reads_nothing(api_key_client_for, user_id, path):
    response = api_key_client_for(user_id, scopes=["messaging:send", "catalog:read"]).get(path)

    assert response.status_code == 403
    assert code_of(response) == "insufficient_scope"


@pytest.mark.django_db
def test_a_send_key_sends_as_its_owner(api_key_client_for, user_id, on_commit):
    session = SessionFactory(user_id=user_id)

    with on_commit():
        response = api_key_client_for(user_id, scopes=["messaging:send"]).post(
            MESSAGES, {"to": RECIPIENT, "text": "From a script"}, format="json"
        )

    assert response.status_code == 202, response.content
    assert Message.objects.get().session_id == session.id


@pytest.mark.django_db
def test_a_read_key_cannot_send_start_sessions_or_change_preferences(api_key_client_for, user_id):
    SessionFactory(user_id=user_id, status="stopped")
    client = api_key_client_for(user_id, scopes=["messaging:read"])

    responses = [
        client.post(MESSAGES, {"to": RECIPIENT, "text": "x"}, format="json"),
        client.post(SESSIONS, {}, format="json"),
        client.patch("/api/v1/messaging/notification-preferences/", {"welcome": False}, format="json"),
    ]

    assert [(r.status_code, code_of(r)) for r in responses] == [(403, "insufficient_scope")] * 3
    assert not Message.objects.exists()
    assert Session.objects.filter(user_id=user_id).count() == 1
    assert not OptOut.objects.exists()


@pytest.mark.django_db
def test_a_key_reads_only_its_owners_messages(api_key_client_for, user_id):
    theirs = MessageFactory()

    response = api_key_client_for(user_id, scopes=["messaging:read"]).get(f"{MESSAGES}{theirs.id}/")

    assert response.status_code == 404
