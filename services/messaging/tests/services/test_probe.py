"""The health probe: a test message to the session's own number, acknowledged by the phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.chat.models import Message, MessageStatus, Purpose
from messaging.chat.probe import ProbeState, probe_result, session_probe, session_probe_start
from messaging.chat.selectors import message_list
from messaging.providers import get_provider
from messaging.quotas.models import DailyUsage
from messaging.sessions.models import SessionStatus
from servicekit.envelope.errors import Conflict
from tests.factories import SessionFactory


@pytest.mark.django_db(transaction=True)
def test_a_loopback_session_whose_phone_answers_is_healthy(captured_events):
    session = SessionFactory()

    result = session_probe(session=session, timeout=10)

    assert result.state is ProbeState.HEALTHY
    assert result.seconds is not None and result.seconds >= 0
    probe = Message.objects.get(pk=result.message_id)
    assert (probe.purpose, probe.peer_number, probe.status) == (Purpose.PROBE, session.phone_number, "read")
    assert DailyUsage.objects.count() == 0  # not the user's message: no quota
    assert list(message_list(user_id=session.user_id)) == []
    captured_events.assert_nothing_published()


@pytest.mark.django_db
def test_a_session_the_provider_refuses_to_send_from_is_unhealthy(fake_waha, on_commit):
    session = SessionFactory(provider="waha")
    get_provider("waha").start_session(
        session_name=session.provider_session
    )  # WAHA: still waiting for a scan

    with on_commit():
        probe = session_probe_start(session=session)
    result = probe_result(probe=probe)

    assert result.state is ProbeState.UNHEALTHY
    assert "Session status is not as expected" in result.reason


@pytest.mark.django_db
def test_a_probe_sent_but_never_acknowledged_is_pending_then_unhealthy(fake_waha, on_commit):
    session = SessionFactory(provider="waha")
    get_provider("waha").start_session(session_name=session.provider_session)
    fake_waha.set_status(session.provider_session, "WORKING", me=session.phone_number)

    with on_commit():
        probe = session_probe_start(session=session)
    now = timezone.now()

    pending = probe_result(probe=probe, now=now, timeout=30)
    late = probe_result(probe=probe, now=now + timedelta(seconds=31), timeout=30)

    assert (pending.state, pending.message_status) == (ProbeState.PENDING, MessageStatus.SENT)
    assert (late.state, late.reason) == (ProbeState.UNHEALTHY, "no acknowledgement within 30s")
    assert [sent["chatId"] for sent in fake_waha.sent] == [session.phone_number.lstrip("+") + "@c.us"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [SessionStatus.SCAN_QR_CODE, SessionStatus.STOPPED])
def test_only_a_working_session_can_be_probed(status):
    session = SessionFactory(status=status)

    with pytest.raises(Conflict) as raised:
        session_probe_start(session=session)

    assert raised.value.code == "session_not_working"
    assert Message.objects.count() == 0
