"""The WAHA adapter against a fake WAHA on a real socket: requests, timeouts, 5xx retries."""

import socket

import pytest

from messaging.providers import (
    OutgoingMedia,
    ProviderRejected,
    ProviderUnavailable,
    SessionState,
    WahaProvider,
    get_provider,
)
from messaging.testing.fake_waha import FakeWaha, decoded_file
from servicekit.testing.polling import wait_until
from tests.conftest import RECIPIENT

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def adapter(waha: FakeWaha, *, sleeps: list[float] | None = None, **overrides) -> WahaProvider:
    options = {
        "base_url": waha.url,
        "api_key": "test-api-key",
        "webhook_url": "http://messaging.test/api/v1/messaging/webhooks/waha/",
        "webhook_secret": "hook-secret",
        "timeout": 0.5,
        "retries": 2,
        "backoff": 0.01,
        **overrides,
    }
    return WahaProvider(**options, sleep=sleeps.append if sleeps is not None else (lambda _: None))


@pytest.fixture
def waha():
    with FakeWaha(api_key="test-api-key") as server:
        yield server


def working(waha: FakeWaha, name: str = "s1") -> str:
    waha.set_status(name, "WORKING", me="+34600000099")
    return name


def test_get_provider_builds_the_adapter_from_settings(fake_waha):
    provider = get_provider("waha")

    assert isinstance(provider, WahaProvider)
    assert provider.base_url == fake_waha.url
    assert provider.api_key == "test-api-key"


def test_start_session_registers_signed_webhooks_and_sends_the_api_key(waha):
    info = adapter(waha).start_session(session_name="s1")

    assert info.state is SessionState.STARTING
    [request] = waha.requests_to("/api/sessions/start")
    assert request.method == "POST"
    assert request.headers["x-api-key"] == "test-api-key"
    assert request.json() == {
        "name": "s1",
        "config": {
            "webhooks": [
                {
                    "url": "http://messaging.test/api/v1/messaging/webhooks/waha/",
                    "events": ["message", "message.ack", "session.status"],
                    "hmac": {"key": "hook-secret"},
                }
            ]
        },
    }


def test_starting_a_running_session_reads_its_state_instead(waha):
    waha.set_status("s1", "WORKING", me="+34600000099")
    waha.sessions["s1"]["config"] = {}

    info = adapter(waha).start_session(session_name="s1")

    assert info == type(info)(state=SessionState.WORKING, phone_number="+34600000099")
    assert [r.path for r in waha.requests] == ["/api/sessions/start", "/api/sessions/s1"]


def test_qr_value_asks_for_the_raw_text(waha):
    provider = adapter(waha)
    provider.start_session(session_name="s1")

    first, second = provider.qr_value(session_name="s1"), provider.qr_value(session_name="s1")

    assert first.startswith("2@") and second.startswith("2@") and first != second
    assert [r.path for r in waha.requests_to("/api/s1/auth/qr")] == ["/api/s1/auth/qr?format=raw"] * 2


def test_send_text_addresses_the_chat_and_returns_wahas_message_id(waha):
    provider = adapter(waha)

    sent = provider.send_text(session_name=working(waha), to=RECIPIENT, text="Hola")

    [record] = waha.sent
    assert (record["path"], record["chatId"], record["text"]) == ("/api/sendText", "34600000001@c.us", "Hola")
    assert sent.provider_message_id == record["id"]
    assert sent.provider_message_id.startswith("true_34600000001@c.us_")


def test_send_media_uses_send_image_for_images_and_send_file_otherwise(waha):
    provider = adapter(waha)
    name = working(waha)

    provider.send_media(
        session_name=name, to=RECIPIENT, media=OutgoingMedia("image/png", "a.png", PNG), caption="look"
    )
    provider.send_media(
        session_name=name,
        to=RECIPIENT,
        media=OutgoingMedia("application/pdf", "a.pdf", b"%PDF-1.4"),
        caption="",
    )

    image, document = waha.sent
    assert (image["path"], image["file"]["mimetype"], image["caption"]) == (
        "/api/sendImage",
        "image/png",
        "look",
    )
    assert decoded_file(image) == PNG
    assert (document["path"], document["file"]["filename"]) == ("/api/sendFile", "a.pdf")
    assert decoded_file(document) == b"%PDF-1.4"


def test_a_5xx_answer_is_retried_with_growing_pauses(waha):
    sleeps: list[float] = []
    waha.fail_next("/api/sendText", status=503, times=2)

    sent = adapter(waha, sleeps=sleeps).send_text(session_name=working(waha), to=RECIPIENT, text="x")

    assert len(waha.requests_to("/api/sendText")) == 3
    assert len(waha.sent) == 1 and sent.provider_message_id == waha.sent[0]["id"]
    assert sleeps == [0.01, 0.02]


def test_5xx_on_every_attempt_is_provider_unavailable_and_nothing_is_sent(waha):
    waha.fail_next("/api/sendText", status=502, times=3)

    with pytest.raises(ProviderUnavailable, match="HTTP 502"):
        adapter(waha).send_text(session_name=working(waha), to=RECIPIENT, text="x")

    assert len(waha.requests_to("/api/sendText")) == 3
    assert waha.sent == []


def test_a_read_that_times_out_is_retried(waha):
    provider = adapter(waha)
    provider.start_session(session_name="s1")
    waha.delay_next("/api/s1/auth/qr", seconds=1.0)  # twice the client's timeout

    value = provider.qr_value(session_name="s1")

    assert value.startswith("2@")
    assert len(waha.requests_to("/api/s1/auth/qr")) == 2


def test_a_send_that_times_out_is_not_repeated_because_it_may_have_gone_out(waha):
    waha.delay_next("/api/sendText", seconds=1.0)

    with pytest.raises(ProviderUnavailable):
        adapter(waha).send_text(session_name=working(waha), to=RECIPIENT, text="x")

    assert len(waha.requests_to("/api/sendText")) == 1
    # WAHA did send it, after the client had given up: a second request would have sent it twice.
    wait_until(lambda: len(waha.sent) == 1)


def test_a_4xx_answer_is_rejected_at_once_with_wahas_message(waha):
    waha.set_status("s1", "SCAN_QR_CODE")

    with pytest.raises(ProviderRejected, match="Session status is not as expected") as raised:
        adapter(waha).send_text(session_name="s1", to=RECIPIENT, text="x")

    assert raised.value.status == 422
    assert len(waha.requests_to("/api/sendText")) == 1


def test_a_wrong_api_key_is_rejected(waha):
    with pytest.raises(ProviderRejected) as raised:
        adapter(waha, api_key="wrong").start_session(session_name="s1")

    assert raised.value.status == 401
    assert waha.sessions == {}


def test_an_unreachable_server_is_retried_then_unavailable():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    provider = WahaProvider(
        base_url=f"http://127.0.0.1:{port}",
        api_key="k",
        webhook_url="http://x/",
        webhook_secret="s",
        timeout=0.5,
        retries=2,
        backoff=0.01,
        sleep=sleeps.append,
    )

    with pytest.raises(ProviderUnavailable, match="refused"):
        provider.send_text(session_name="s1", to=RECIPIENT, text="x")

    assert sleeps == [0.01, 0.02]  # a refused connection never reached WAHA: safe to repeat


def test_stop_and_logout(waha):
    provider = adapter(waha)
    working(waha)

    provider.stop_session(session_name="s1")
    assert waha.sessions["s1"]["status"] == "STOPPED"
    assert waha.sessions["s1"]["me"] is not None

    provider.logout_session(session_name="s1")
    assert waha.sessions["s1"]["me"] is None
    assert [r.json() for r in waha.requests_to("/api/sessions/")] == [
        {"name": "s1", "logout": False},
        {"name": "s1"},
    ]
