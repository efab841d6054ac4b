"""A session stopped (or logged out) while RabbitMQ is down: the request answers as usual (its
change committed), the stop task could not be sent, and beat's sweep sends it once the row is
old enough. The broker is a real closed port (servicekit.testing.celery.broker_down)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.celery import app
from messaging.sessions.models import ProviderStop, SessionStatus
from messaging.sessions.services import sessions_dispatch_stale
from messaging.tasks import dispatch_stale
from servicekit.testing.celery import broker_down
from tests.apis.conftest import data_of
from tests.factories import SessionFactory

SESSIONS = "/api/v1/messaging/sessions/"

pytestmark = pytest.mark.django_db


def later(seconds: int = 31):
    return timezone.now() + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("action", "mark", "provider_path"),
    [
        ("stop", ProviderStop.STOP, "/api/sessions/stop"),
        ("logout", ProviderStop.LOGOUT, "/api/sessions/logout"),
    ],
)
def test_a_stop_while_the_broker_is_down_answers_200_and_the_sweep_sends_it_later(
    user, user_id, fake_waha, on_commit, caplog, action, mark, provider_path
):
    session = SessionFactory(user_id=user_id, provider="waha")
    fake_waha.set_status(session.provider_session, "WORKING", me=session.phone_number)

    with broker_down(app), on_commit():
        response = user.post(f"{SESSIONS}{session.id}/{action}/")

    assert response.status_code == 200, response.content
    assert data_of(response)["status"] == "stopped"
    assert "messaging.sessions.stop_on_provider" in caplog.text and "the broker is unavailable" in caplog.text
    session.refresh_from_db()
    assert (session.status, session.provider_stop) == (SessionStatus.STOPPED, mark)
    assert fake_waha.requests_to(provider_path) == []  # the task was lost

    assert sessions_dispatch_stale() == 0  # too recent: its task might still be on its way
    assert dispatch_stale() == {"sessions": 0, "messages": 0, "notifications": 0}
    assert sessions_dispatch_stale(now=later()) == 1  # the broker is back (tasks are eager here)

    assert [r.json()["name"] for r in fake_waha.requests_to(provider_path)] == [session.provider_session]
    session.refresh_from_db()
    assert session.provider_stop == ProviderStop.NONE
    assert sessions_dispatch_stale(now=later()) == 0  # sent once


def test_a_stop_whose_task_ran_is_not_sent_again(user, user_id, on_commit):
    session = SessionFactory(user_id=user_id)

    with on_commit():
        assert user.post(f"{SESSIONS}{session.id}/stop/").status_code == 200

    session.refresh_from_db()
    assert session.provider_stop == ProviderStop.NONE
    assert sessions_dispatch_stale(now=later()) == 0


def test_a_start_while_the_broker_is_down_answers_201_and_the_sweep_starts_it_later(user, user_id, on_commit):
    with broker_down(app), on_commit():
        response = user.post(SESSIONS, {}, format="json")

    assert response.status_code == 201, response.content
    assert data_of(response)["status"] == "starting"
    assert sessions_dispatch_stale(now=later()) == 1
    assert data_of(user.get(f"{SESSIONS}{data_of(response)['id']}/"))["status"] == "scan_qr_code"
