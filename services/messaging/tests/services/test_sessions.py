"""Session lifecycle: start → scan_qr_code (codes that expire and are replaced) → working;
stop, logout, failure; with the loopback phone and with WAHA (the fake)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.providers.loopback import loopback_phone_number
from messaging.sessions import services
from messaging.sessions.models import Session, SessionStatus
from messaging.sessions.qr import qr_png, qr_svg
from servicekit.envelope.errors import ApplicationError, Conflict
from servicekit.testing.concurrency import run_concurrently
from tests.factories import SessionFactory

STATUS_EVENT = "messaging.session.status_changed"


def statuses(captured_events):
    return [(e.data["previous_status"], e.data["status"]) for e in captured_events.of_type(STATUS_EVENT)]


def scanning_session(**fields) -> Session:
    return SessionFactory(status=SessionStatus.SCAN_QR_CODE, phone_number="", **fields)


# -- start ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_start_creates_a_session_that_the_loopback_phone_asks_to_scan(user_id, captured_events, on_commit):
    with on_commit():
        session = services.session_start(user_id=user_id)

    session.refresh_from_db()
    assert (session.user_id, session.provider, session.status) == (
        user_id,
        "loopback",
        SessionStatus.SCAN_QR_CODE,
    )
    assert session.provider_session == f"s{session.id.hex}"
    assert statuses(captured_events) == [(None, "starting"), ("starting", "scan_qr_code")]
    assert {e.data["user_id"] for e in captured_events} == {str(user_id)}


@pytest.mark.django_db
def test_starting_again_returns_the_live_session_and_changes_nothing(user_id, captured_events, on_commit):
    with on_commit():
        first = services.session_start(user_id=user_id)
    published = len(captured_events)

    again = services.session_start(user_id=user_id)

    assert again.pk == first.pk
    assert Session.objects.filter(user_id=user_id).count() == 1
    assert len(captured_events) == published


@pytest.mark.django_db
def test_a_stopped_session_stays_as_history_and_a_new_one_starts(user_id):
    old = SessionFactory(user_id=user_id, status=SessionStatus.STOPPED)

    new = services.session_start(user_id=user_id)

    assert new.pk != old.pk
    assert Session.objects.filter(user_id=user_id).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_live_session(user_id):
    started = []

    errors = run_concurrently([lambda: started.append(services.session_start(user_id=user_id).pk)] * 8)

    assert errors == []
    assert len(set(started)) == 1
    assert Session.objects.filter(user_id=user_id).count() == 1


# -- QR codes ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_qr_code_is_kept_until_it_expires_then_replaced(messaging_conf):
    messaging_conf(QR_TTL_SECONDS=20, QR_MAX_CODES=3)
    session = scanning_session()
    now = timezone.now()

    first = services.session_qr_code(session=session, now=now)
    same = services.session_qr_code(session=session, now=now + timedelta(seconds=19))
    second = services.session_qr_code(session=session, now=now + timedelta(seconds=20))

    assert (first.number, first.codes_left, first.expires_at) == (1, 2, now + timedelta(seconds=20))
    assert same == first
    assert (second.number, second.codes_left) == (2, 1)
    assert second.value != first.value and second.expires_at == now + timedelta(seconds=40)


@pytest.mark.django_db
def test_when_every_code_expired_unscanned_the_session_fails(messaging_conf, captured_events):
    messaging_conf(QR_TTL_SECONDS=20, QR_MAX_CODES=2)
    session = scanning_session()
    now = timezone.now()
    services.session_qr_code(session=session, now=now)
    services.session_qr_code(session=session, now=now + timedelta(seconds=20))

    with pytest.raises(Conflict) as raised:
        services.session_qr_code(session=session, now=now + timedelta(seconds=40))

    assert raised.value.code == "qr_expired"
    session.refresh_from_db()
    assert (session.status, session.status_reason, session.qr_value) == (
        SessionStatus.FAILED,
        "qr_expired",
        "",
    )
    assert statuses(captured_events) == [("scan_qr_code", "failed")]
    with pytest.raises(Conflict) as again:
        services.session_qr_code(session=session, now=now + timedelta(seconds=41))
    assert again.value.code == "session_not_scanning"


@pytest.mark.django_db
def test_no_qr_code_while_the_session_is_not_waiting_for_a_scan(captured_events):
    session = SessionFactory(status=SessionStatus.WORKING)

    with pytest.raises(Conflict) as raised:
        services.session_qr_code(session=session)

    assert raised.value.code == "session_not_scanning"
    session.refresh_from_db()
    assert (session.status, session.qr_codes_issued) == (SessionStatus.WORKING, 0)
    captured_events.assert_nothing_published()


def test_qr_codes_render_as_png_and_svg():
    value = "2@" + "A" * 200  # as long as WhatsApp's

    png, svg = qr_png(value), qr_svg(value)

    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 500
    assert b"<svg" in svg and b"</svg>" in svg
    assert qr_png("another") != png


# -- the loopback phone -------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_simulated_scan_logs_the_loopback_phone_in(user_id, captured_events, on_commit):
    with on_commit():
        session = services.session_start(user_id=user_id)
    services.session_qr_code(session=session)

    with on_commit():
        services.session_scan_simulate(session=session)

    session.refresh_from_db()
    assert session.status == SessionStatus.WORKING
    assert session.phone_number == loopback_phone_number(session.provider_session)
    assert (session.qr_value, session.qr_codes_issued) == ("", 0)
    assert statuses(captured_events)[-1] == ("scan_qr_code", "working")
    assert captured_events.of_type(STATUS_EVENT)[-1].data["phone_number"] == session.phone_number


@pytest.mark.django_db
def test_a_scan_needs_a_current_qr_code(on_commit, captured_events):
    session = scanning_session()

    with on_commit(), pytest.raises(Conflict) as raised:
        services.session_scan_simulate(session=session)

    assert raised.value.code == "qr_expired"
    session.refresh_from_db()
    assert session.status == SessionStatus.SCAN_QR_CODE
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_only_a_loopback_session_can_be_scanned_by_simulation():
    session = scanning_session(provider="waha")

    with pytest.raises(ApplicationError) as raised:
        services.session_scan_simulate(session=session)

    assert raised.value.code == "loopback_only"


# -- WAHA -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_waha_session_follows_wahas_webhooks_to_working(fake_waha, user_id, captured_events, on_commit):
    from messaging.webhooks.services import webhook_receive

    with on_commit():
        session = services.session_start(user_id=user_id)
    name = session.provider_session
    assert name in fake_waha.sessions  # started at WAHA, webhooks configured
    session.refresh_from_db()
    assert session.status == SessionStatus.STARTING  # WAHA answered STARTING

    webhook_receive(
        provider_name="waha",
        body=(hook := fake_waha.webhook(name, "session.status", {"status": "SCAN_QR_CODE"}))[0],
        headers=hook[1],
    )
    code = services.session_qr_code(session=session)
    fake_waha.set_status(name, "WORKING", me="+34600000099")
    body, headers = fake_waha.webhook(name, "session.status", {"status": "WORKING"})
    webhook_receive(provider_name="waha", body=body, headers=headers)

    session.refresh_from_db()
    assert code.value.startswith("2@")
    assert (session.status, session.phone_number) == (SessionStatus.WORKING, "+34600000099")
    assert statuses(captured_events) == [
        (None, "starting"),
        ("starting", "scan_qr_code"),
        ("scan_qr_code", "working"),
    ]


@pytest.mark.django_db
def test_a_start_the_provider_never_answers_fails_after_the_last_attempt(
    fake_waha, messaging_conf, user_id, on_commit, eager_retries
):
    messaging_conf(SEND_MAX_ATTEMPTS=3, SEND_RETRY_BASE_SECONDS=0.0, WAHA_RETRIES=0)
    fake_waha.fail_next("/api/sessions/start", status=503, times=10)

    with on_commit():
        session = services.session_start(user_id=user_id)

    session.refresh_from_db()
    assert session.status == SessionStatus.FAILED
    assert session.status_reason.startswith("provider_unavailable")
    assert len(fake_waha.requests_to("/api/sessions/start")) == 3


@pytest.mark.django_db
def test_a_provider_unavailable_for_the_qr_code_is_a_503_and_the_session_keeps_waiting(
    fake_waha, messaging_conf
):
    messaging_conf(WAHA_RETRIES=0)
    session = scanning_session(provider="waha")
    fake_waha.set_status(session.provider_session, "SCAN_QR_CODE")
    fake_waha.fail_next("/api/", status=500)

    with pytest.raises(ApplicationError) as raised:
        services.session_qr_code(session=session)

    assert (raised.value.code, raised.value.status_code) == ("upstream_unavailable", 503)
    session.refresh_from_db()
    assert (session.status, session.qr_codes_issued) == (SessionStatus.SCAN_QR_CODE, 0)


# -- stop, logout, late reports ---------------------------------------------------------------
@pytest.mark.django_db
def test_stop_ends_the_session_at_the_provider_once(fake_waha, captured_events, on_commit):
    session = SessionFactory(provider="waha")
    fake_waha.set_status(session.provider_session, "WORKING", me=session.phone_number)

    with on_commit():
        services.session_stop(session=session)
    with on_commit():
        services.session_stop(session=session)  # again: nothing more

    session.refresh_from_db()
    assert (session.status, session.status_reason) == (SessionStatus.STOPPED, "stopped")
    assert session.phone_number  # the login is kept
    assert statuses(captured_events) == [("working", "stopped")]
    assert [r.json() for r in fake_waha.requests_to("/api/sessions/stop")] == [
        {"name": session.provider_session, "logout": False}
    ]


@pytest.mark.django_db
def test_logout_forgets_the_number_and_logs_out_at_the_provider(fake_waha, captured_events, on_commit):
    session = SessionFactory(provider="waha")
    fake_waha.set_status(session.provider_session, "WORKING", me=session.phone_number)

    with on_commit():
        services.session_logout(session=session)

    session.refresh_from_db()
    assert (session.status, session.status_reason, session.phone_number) == (
        SessionStatus.STOPPED,
        "logged_out",
        "",
    )
    assert len(fake_waha.requests_to("/api/sessions/logout")) == 1
    assert fake_waha.sessions[session.provider_session]["me"] is None


@pytest.mark.django_db
def test_a_late_working_report_does_not_revive_a_stopped_session(captured_events):
    from messaging.providers import SessionState

    session = SessionFactory(status=SessionStatus.STOPPED)

    services.session_status_apply(session=session, state=SessionState.WORKING, phone_number="+34600000099")

    session.refresh_from_db()
    assert session.status == SessionStatus.STOPPED
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_the_sweep_fails_sessions_nobody_scanned(messaging_conf, captured_events):
    messaging_conf(QR_TTL_SECONDS=20, QR_MAX_CODES=3)
    now = timezone.now()
    exhausted = scanning_session(qr_value="x", qr_codes_issued=3, qr_expires_at=now - timedelta(seconds=1))
    never_shown = scanning_session(status_changed_at=now - timedelta(seconds=61))
    showing = scanning_session(qr_value="y", qr_codes_issued=3, qr_expires_at=now + timedelta(seconds=5))
    just_started = scanning_session(status_changed_at=now - timedelta(seconds=30))

    assert services.sessions_expire_unscanned(now=now) == 2

    failed = set(Session.objects.filter(status=SessionStatus.FAILED).values_list("pk", flat=True))
    assert failed == {exhausted.pk, never_shown.pk}
    assert {e.subject for e in captured_events} == {str(exhausted.pk), str(never_shown.pk)}
    assert (
        Session.objects.get(pk=showing.pk).status
        == Session.objects.get(pk=just_started.pk).status
        == "scan_qr_code"
    )
