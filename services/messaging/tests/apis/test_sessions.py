"""/api/v1/messaging/sessions/: start, list, status, QR code (JSON, PNG, SVG), the loopback scan,
stop, log out and the health probe; another user's session is 404."""

import uuid

import pytest
from django.urls import reverse

from messaging.chat.models import Message
from messaging.providers.loopback import loopback_phone_number
from messaging.sessions.models import Session, SessionStatus
from tests.apis.conftest import code_of, data_of
from tests.factories import SessionFactory

SESSIONS = "/api/v1/messaging/sessions/"
STATUS_EVENT = "messaging.session.status_changed"


def url(session, action: str = "") -> str:
    return f"{SESSIONS}{session.id}/{action + '/' if action else ''}"


def scanning(user_id, **fields) -> Session:
    return SessionFactory(user_id=user_id, status=SessionStatus.SCAN_QR_CODE, phone_number="", **fields)


# -- start, list, status ----------------------------------------------------------------------
@pytest.mark.django_db
def test_start_answers_201_and_the_loopback_phone_then_asks_for_a_scan(user, user_id, on_commit):
    with on_commit():
        response = user.post(SESSIONS, {}, format="json")

    assert response.status_code == 201, response.content
    session = Session.objects.get(user_id=user_id)
    body = data_of(response)
    assert (body["id"], body["status"], body["provider"]) == (str(session.id), "starting", "loopback")
    assert response["Location"] == reverse("sessions-session-detail", args=[session.id])
    assert data_of(user.get(url(session)))["status"] == "scan_qr_code"


@pytest.mark.django_db
def test_starting_again_answers_200_with_the_live_session(user, user_id, captured_events):
    live = scanning(user_id)

    response = user.post(SESSIONS, {}, format="json")

    assert response.status_code == 200
    assert data_of(response)["id"] == str(live.id)
    assert Session.objects.filter(user_id=user_id).count() == 1
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_start_refuses_fields_it_does_not_take(user, user_id):
    response = user.post(SESSIONS, {"provider": "waha"}, format="json")

    assert response.status_code == 400
    assert code_of(response) == "validation_error"
    assert list(response.json()["error"]["details"]) == ["provider"]
    assert not Session.objects.filter(user_id=user_id).exists()


@pytest.mark.django_db
def test_anonymous_callers_are_refused(api_client):
    response = api_client.post(SESSIONS, {}, format="json")

    assert response.status_code == 401
    assert code_of(response) == "not_authenticated"
    assert Session.objects.count() == 0


@pytest.mark.django_db
def test_the_list_holds_the_callers_sessions_only(user, user_id):
    old = SessionFactory(user_id=user_id, status=SessionStatus.STOPPED)
    live = SessionFactory(user_id=user_id)
    SessionFactory()  # someone else's

    response = user.get(SESSIONS)

    assert response.status_code == 200
    assert [s["id"] for s in data_of(response)] == [str(live.id), str(old.id)]
    assert response.json()["meta"]["pagination"]["count"] == 2


@pytest.mark.django_db
def test_status_of_one_session(user, user_id):
    session = SessionFactory(user_id=user_id)

    body = data_of(user.get(url(session)))

    assert (body["status"], body["phone_number"]) == ("working", session.phone_number)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["", "qr", "qr/png", "qr/svg"])
def test_another_users_session_is_not_found(stranger, action):
    session = scanning(uuid.uuid4())

    response = stranger.get(url(session, action))

    assert response.status_code == 404
    assert code_of(response) == "not_found"
    session.refresh_from_db()
    assert session.qr_codes_issued == 0  # no code was issued to them


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["scan", "stop", "logout", "probe"])
def test_another_users_session_cannot_be_acted_on(stranger, action, on_commit, captured_events):
    session = SessionFactory()

    with on_commit():
        response = stranger.post(url(session, action))

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.WORKING
    assert not Message.objects.exists()
    captured_events.assert_nothing_published()


# -- QR codes ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_qr_code_as_text_with_links_to_its_images(user, user_id, messaging_conf):
    messaging_conf(QR_TTL_SECONDS=20, QR_MAX_CODES=6)
    session = scanning(user_id)

    response = user.get(url(session, "qr"))
    again = user.get(url(session, "qr"))

    assert response.status_code == 200
    body = data_of(response)
    assert body["value"].startswith(f"loopback:{session.provider_session}:")
    assert (body["number"], body["codes_left"]) == (1, 5)
    assert body["png_url"] == url(session, "qr/png")
    assert body["svg_url"] == url(session, "qr/svg")
    assert data_of(again) == body  # the same code until it expires


@pytest.mark.django_db
def test_the_qr_code_as_png_and_svg(user, user_id):
    session = scanning(user_id)

    png = user.get(url(session, "qr/png"), HTTP_ACCEPT="image/png")
    svg = user.get(url(session, "qr/svg"))

    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png["Cache-Control"] == "no-store"
    assert "Expires" in png
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    session.refresh_from_db()
    assert session.qr_codes_issued == 1  # both images draw the same code


@pytest.mark.django_db
def test_no_qr_image_for_a_working_session_and_the_error_is_json(user, user_id):
    session = SessionFactory(user_id=user_id)

    response = user.get(url(session, "qr/png"), HTTP_ACCEPT="image/png")

    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/json")
    assert code_of(response) == "session_not_scanning"


@pytest.mark.django_db
def test_after_the_last_code_expired_the_qr_code_is_409_and_the_session_fails(user, user_id, messaging_conf):
    messaging_conf(QR_MAX_CODES=1)
    session = scanning(user_id, qr_value="old", qr_codes_issued=1)  # shown, and expired (no expiry)

    response = user.get(url(session, "qr"))

    assert response.status_code == 409
    assert code_of(response) == "qr_expired"
    assert data_of(user.get(url(session)))["status"] == "failed"


# -- the loopback scan ------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_simulated_scan_turns_the_session_working(user, user_id, on_commit):
    session = scanning(user_id)
    user.get(url(session, "qr"))

    with on_commit():
        response = user.post(url(session, "scan"))

    assert response.status_code == 202
    body = data_of(user.get(url(session)))
    assert (body["status"], body["phone_number"]) == (
        "working",
        loopback_phone_number(session.provider_session),
    )


@pytest.mark.django_db
def test_a_scan_without_a_current_code_is_409(user, user_id):
    session = scanning(user_id)

    response = user.post(url(session, "scan"))

    assert response.status_code == 409
    assert code_of(response) == "qr_expired"


@pytest.mark.django_db
def test_only_loopback_sessions_can_be_scanned(user, user_id):
    session = scanning(user_id, provider="waha")

    response = user.post(url(session, "scan"))

    assert response.status_code == 400
    assert code_of(response) == "loopback_only"


@pytest.mark.django_db
def test_there_is_no_simulated_scan_in_production(user, user_id, settings, on_commit):
    settings.DJANGO_ENV = "production"
    session = scanning(user_id)
    user.get(url(session, "qr"))

    with on_commit():
        response = user.post(url(session, "scan"))

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.SCAN_QR_CODE


# -- stop, log out ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_stop_keeps_the_number_and_logout_forgets_it(user, user_id, client_for, captured_events):
    session = SessionFactory(user_id=user_id)

    stopped = user.post(url(session, "stop"))
    again = user.post(url(session, "stop"))

    assert stopped.status_code == again.status_code == 200
    assert (data_of(stopped)["status"], data_of(stopped)["status_reason"]) == ("stopped", "stopped")
    assert data_of(stopped)["phone_number"] == session.phone_number
    assert len(captured_events.of_type(STATUS_EVENT)) == 1  # stopping twice changed nothing

    other = SessionFactory()
    logged_out = client_for(other.user_id).post(url(other, "logout"))
    assert (data_of(logged_out)["status"], data_of(logged_out)["phone_number"]) == ("stopped", "")


# -- the health probe -------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_probe_is_accepted_then_healthy_once_the_phone_acknowledges(user, user_id, on_commit):
    session = SessionFactory(user_id=user_id)

    with on_commit():
        response = user.post(url(session, "probe"))

    assert response.status_code == 202
    started = data_of(response)
    assert started["state"] == "pending"
    probe = Message.objects.get(pk=started["id"])
    assert response["Location"] == reverse("sessions-session-probe-detail", args=[session.id, probe.id])
    result = user.get(response["Location"])
    assert result.status_code == 200
    assert data_of(result)["state"] == "healthy"
    assert data_of(result)["message_status"] in ("delivered", "read")
    assert data_of(user.get("/api/v1/messaging/messages/")) == []  # a probe is not the user's message


@pytest.mark.django_db
def test_a_session_that_is_not_working_cannot_be_probed(user, user_id):
    session = scanning(user_id)

    response = user.post(url(session, "probe"))

    assert response.status_code == 409
    assert code_of(response) == "session_not_working"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_probe_of_another_session_is_not_found(user, user_id, client_for, on_commit):
    mine = SessionFactory(user_id=user_id)
    theirs = SessionFactory()
    with on_commit():
        probe_id = data_of(client_for(theirs.user_id).post(url(theirs, "probe")))["id"]

    response = user.get(f"{url(mine, 'probe')}{probe_id}/")

    assert response.status_code == 404
    assert code_of(response) == "not_found"
