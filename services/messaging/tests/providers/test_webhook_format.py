"""WAHA's webhook format: HMAC-SHA512 signatures, age, and what each event says."""

import json
import time

import pytest

from messaging.providers import Ack, InvalidWebhook, SessionState, WebhookType
from messaging.providers import waha_format as fmt

SECRET = "hook-secret"


def signed(event: str, payload: dict, *, secret: str = SECRET, event_id: str = "evt_1", now=None, **extra):
    document = json.loads(
        fmt.webhook_body(event_id=event_id, event=event, session="s1", payload=payload, now=now)
    )
    document.update(extra)
    body = json.dumps(document).encode()
    return body, fmt.sign_webhook(body, secret=secret)


def parse(body, headers, **kwargs):
    return fmt.parse_webhook(body, headers, secret=SECRET, tolerance_seconds=300, **kwargs)


def test_an_ack_is_read_with_its_message_id_and_level():
    body, headers = signed("message.ack", {"id": "true_34600000001@c.us_AB12", "ack": 2, "ackName": "DEVICE"})

    event = parse(body, headers)

    assert (event.event_id, event.type, event.session_name) == ("evt_1", WebhookType.MESSAGE_ACK, "s1")
    assert (event.provider_message_id, event.ack) == ("true_34600000001@c.us_AB12", Ack.DEVICE)


def test_a_session_status_names_the_state_and_the_logged_in_number():
    body, headers = signed("session.status", {"status": "WORKING"}, me={"id": "34600000099@c.us"})

    event = parse(body, headers)

    assert (event.type, event.state, event.phone_number) == (
        WebhookType.SESSION_STATUS,
        SessionState.WORKING,
        "+34600000099",
    )


def test_an_inbound_message_is_read_with_its_sender_text_and_media():
    payload = {
        "id": "false_34600000001@c.us_XY",
        "timestamp": 1_700_000_000,
        "from": "34600000001@c.us",
        "fromMe": False,
        "body": "¿Hola?",
        "hasMedia": True,
        "media": {"url": "http://waha/api/files/x.jpg", "mimetype": "image/jpeg", "filename": None},
    }
    body, headers = signed("message", payload)

    message = parse(body, headers).message

    assert message.provider_message_id == "false_34600000001@c.us_XY"
    assert (message.from_number, message.text, message.is_from_me) == ("+34600000001", "¿Hola?", False)
    assert (message.media_url, message.media_mimetype, message.media_filename) == (
        "http://waha/api/files/x.jpg",
        "image/jpeg",
        "",
    )
    assert message.sent_at.timestamp() == 1_700_000_000


def test_an_event_this_service_does_not_handle_is_read_as_ignored():
    body, headers = signed("presence.update", {"id": "x"})

    assert parse(body, headers).type is None


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda body, headers: (body + b" ", headers), "does not match"),
        (lambda body, headers: (body, {**headers, fmt.HMAC_HEADER: "0" * 128}), "does not match"),
        (lambda body, headers: (body, {"Content-Type": "application/json"}), "missing"),
        (lambda body, headers: (body, {**headers, fmt.ALGORITHM_HEADER: "sha256"}), "algorithm"),
        (lambda body, headers: (body, {**headers, fmt.HMAC_HEADER: "é" * 10}), "does not match"),
    ],
)
def test_a_tampered_or_unsigned_webhook_is_refused(tamper, reason):
    body, headers = tamper(*signed("message.ack", {"id": "m", "ack": 3}))

    with pytest.raises(InvalidWebhook, match=reason):
        parse(body, headers)


def test_a_webhook_signed_with_another_key_is_refused():
    body, headers = signed("message.ack", {"id": "m", "ack": 3}, secret="someone-else")

    with pytest.raises(InvalidWebhook, match="does not match"):
        parse(body, headers)


def test_a_captured_webhook_is_refused_once_older_than_the_tolerance():
    sent_at = time.time()
    body, headers = signed("message.ack", {"id": "m", "ack": 3}, now=sent_at)

    assert parse(body, headers, now=sent_at + 299).ack is Ack.READ
    with pytest.raises(InvalidWebhook, match="outside the tolerance"):
        parse(body, headers, now=sent_at + 301)


@pytest.mark.parametrize("timestamp", ["1700000000000", -5, 10**15, True])
def test_a_timestamp_that_is_not_milliseconds_is_refused(timestamp):
    body, headers = signed("message.ack", {"id": "m", "ack": 3}, timestamp=timestamp)

    with pytest.raises(InvalidWebhook, match="milliseconds"):
        parse(body, headers)


def test_a_webhook_without_an_id_is_known_by_the_hash_of_its_body():
    body, headers = signed("message.ack", {"id": "m", "ack": 3})
    document = json.loads(body)
    del document["id"], document["timestamp"]  # older WAHA sends neither
    body = json.dumps(document).encode()
    headers = fmt.sign_webhook(body, secret=SECRET)

    first, again = parse(body, headers), parse(body, headers)

    assert first.event_id.startswith("sha256:") and first.event_id == again.event_id


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"event": "message"}'])
def test_a_signed_body_that_is_not_a_waha_event_is_refused(body):
    with pytest.raises(InvalidWebhook):
        parse(body, fmt.sign_webhook(body, secret=SECRET))


@pytest.mark.parametrize(
    ("chat", "number"),
    [
        ("34600000001@c.us", "+34600000001"),
        ("34600000001@s.whatsapp.net", "+34600000001"),
        ("34600000001:12@s.whatsapp.net", "+34600000001"),
        ("120363101234567890@g.us", ""),
        ("0034600000001@c.us", ""),  # not E.164: no leading zero
        ("1234567890123456@c.us", ""),  # longer than E.164 allows
        ("12345@c.us", ""),
        ("status@broadcast", ""),
        (None, ""),
    ],
)
def test_chat_ids_and_phone_numbers(chat, number):
    assert fmt.phone_number(chat) == number


def test_a_number_becomes_a_personal_chat_id():
    assert fmt.chat_id("+34600000001") == "34600000001@c.us"
