"""The loopback phone: its number, its QR codes, and the receipts it sends after a message."""

import json

import phonenumbers
import pytest

from messaging.providers import Ack, LoopbackProvider, SessionState, get_provider, waha_format
from messaging.providers.loopback import loopback_phone_number
from tests.conftest import RECIPIENT


def test_the_loopback_phone_has_a_valid_number_of_its_own_per_session():
    first, again, other = (loopback_phone_number(name) for name in ("s1", "s1", "s2"))

    assert first == again != other
    assert phonenumbers.is_valid_number(phonenumbers.parse(first))


def test_starting_asks_for_a_scan_and_every_qr_code_is_new():
    provider = get_provider("loopback")

    assert isinstance(provider, LoopbackProvider)
    assert provider.start_session(session_name="s1").state is SessionState.SCAN_QR_CODE
    codes = {provider.qr_value(session_name="s1") for _ in range(3)}
    assert len(codes) == 3 and all(code.startswith("loopback:s1:") for code in codes)


@pytest.mark.django_db
def test_a_send_schedules_server_device_and_read_receipts_with_growing_delays(messaging_conf, monkeypatch):
    messaging_conf(LOOPBACK_DELIVERY_SECONDS=1.5, LOOPBACK_READ_SECONDS=4.0)
    scheduled = []
    from messaging.providers import tasks

    monkeypatch.setattr(
        tasks.deliver_loopback_webhook,
        "apply_async",
        lambda kwargs, countdown: scheduled.append((kwargs, countdown)),
    )

    sent = LoopbackProvider().send_text(session_name="s1", to=RECIPIENT, text="hi")

    assert [(kwargs["event"], kwargs["payload"]["ack"], countdown) for kwargs, countdown in scheduled] == [
        ("message.ack", Ack.SERVER, 0.0),
        ("message.ack", Ack.DEVICE, 1.5),
        ("message.ack", Ack.READ, 4.0),
    ]
    assert {kwargs["payload"]["id"] for kwargs, _ in scheduled} == {sent.provider_message_id}
    assert len({kwargs["event_id"] for kwargs, _ in scheduled}) == 3
    body = waha_format.webhook_body(
        **{k: v for k, v in scheduled[0][0].items() if k != "session_name"}, session="s1"
    )
    assert json.loads(body)["me"] == {"id": waha_format.chat_id(loopback_phone_number("s1"))}
