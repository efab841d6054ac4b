"""WAHA's wire formats: chat ids, session states, and signed webhooks.

A webhook is a JSON body ``{"id": "evt_…", "timestamp": <ms>, "event": "message.ack",
"session": "<name>", "me": {"id": "<digits>@c.us"}, "payload": {…}}`` signed with
HMAC-SHA512 of the raw body, hex, in ``X-Webhook-Hmac`` (``X-Webhook-Hmac-Algorithm: sha512``).
The signature covers the body and so its ``timestamp``: a captured webhook is refused once
older than the tolerance, and within it its ``id`` makes a replay a no-op (the receipts table).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from messaging.providers.base import (
    Ack,
    InboundMessage,
    InvalidWebhook,
    SessionState,
    WebhookEvent,
    WebhookType,
)

HMAC_HEADER = "X-Webhook-Hmac"
ALGORITHM_HEADER = "X-Webhook-Hmac-Algorithm"
ALGORITHM = "sha512"
PERSONAL_CHAT_SUFFIXES = ("@c.us", "@s.whatsapp.net")
MAX_BODY_BYTES = 1024 * 1024
_E164_DIGITS = re.compile(r"[1-9][0-9]{6,14}")  # what E.164 allows after the +


def chat_id(e164: str) -> str:
    """``+34600000001`` → ``34600000001@c.us`` (WAHA's id of a personal chat)."""
    return f"{e164.lstrip('+')}@c.us"


def phone_number(chat: Any) -> str:
    """``34600000001@c.us`` → ``+34600000001``; "" for groups, broadcasts and anything else."""
    if not isinstance(chat, str):
        return ""
    for suffix in PERSONAL_CHAT_SUFFIXES:
        digits = chat.removesuffix(suffix)
        if digits != chat:
            digits = digits.split(":")[0]  # a linked device: <number>:<device>@s.whatsapp.net
            return f"+{digits}" if _E164_DIGITS.fullmatch(digits) else ""
    return ""


def session_state(value: Any) -> SessionState | None:
    try:
        return SessionState(str(value).lower())
    except ValueError:
        return None


def sign_webhook(body: bytes, *, secret: str) -> dict[str, str]:
    """The headers WAHA sends with ``body`` (the loopback provider and tests sign this way)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
    return {HMAC_HEADER: digest, ALGORITHM_HEADER: ALGORITHM, "Content-Type": "application/json"}


def webhook_body(
    *,
    event_id: str,
    event: str,
    session: str,
    payload: dict[str, Any],
    me: str = "",
    now: float | None = None,
) -> bytes:
    """A webhook body as WAHA writes it (for the loopback provider and the fake server)."""
    now = time.time() if now is None else now
    document: dict[str, Any] = {
        "id": event_id,
        "timestamp": int(now * 1000),
        "event": event,
        "session": session,
        "payload": payload,
        "engine": "LOOPBACK",
    }
    if me:
        document["me"] = {"id": chat_id(me)}
    return json.dumps(document, separators=(",", ":")).encode()


def parse_webhook(
    body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    tolerance_seconds: int,
    now: float | None = None,
) -> WebhookEvent:
    """Verify and read one webhook; raises :class:`InvalidWebhook`."""
    _verify_signature(body, headers, secret=secret)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidWebhook("the body is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("session"), str):
        raise InvalidWebhook("the body is not a WAHA event")
    _check_age(document.get("timestamp"), tolerance_seconds=tolerance_seconds, now=now)
    payload = document.get("payload") if isinstance(document.get("payload"), dict) else {}
    event_id = document.get("id")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        event_id = "sha256:" + hashlib.sha256(body).hexdigest()  # older WAHA sends no id
    try:
        webhook_type: WebhookType | None = WebhookType(document.get("event"))
    except ValueError:
        webhook_type = None
    me = document.get("me") if isinstance(document.get("me"), dict) else payload.get("me")
    event = WebhookEvent(
        event_id=event_id,
        type=webhook_type,
        session_name=document["session"],
        phone_number=phone_number(me.get("id")) if isinstance(me, dict) else "",
    )
    if webhook_type is WebhookType.SESSION_STATUS:
        return replace(event, state=session_state(payload.get("status")))
    if webhook_type is WebhookType.MESSAGE_ACK:
        return replace(event, provider_message_id=_message_id(payload), ack=_ack(payload.get("ack")))
    if webhook_type is WebhookType.MESSAGE:
        return replace(event, message=_inbound_message(payload))
    return event


def message_id(response: Any) -> str:
    """The id of a sent message from WAHA's answer (engines shape it differently)."""
    return _message_id(response) if isinstance(response, dict) else ""


def _verify_signature(body: bytes, headers: Mapping[str, str], *, secret: str) -> None:
    lowered = {name.lower(): value for name, value in headers.items()}
    signature = lowered.get(HMAC_HEADER.lower())
    if not signature:
        raise InvalidWebhook("the signature header is missing")
    if lowered.get(ALGORITHM_HEADER.lower(), ALGORITHM).lower() != ALGORITHM:
        raise InvalidWebhook("the signature algorithm is not sha512")
    if len(body) > MAX_BODY_BYTES:
        raise InvalidWebhook("the body is too large")
    expected = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
    # compare_digest refuses str with non-ASCII characters (TypeError): compare bytes.
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape")):
        raise InvalidWebhook("the signature does not match")


def _check_age(timestamp_ms: Any, *, tolerance_seconds: int, now: float | None) -> None:
    if timestamp_ms is None:
        return  # older WAHA sends none: the signature and the receipts still hold
    if not isinstance(timestamp_ms, int) or isinstance(timestamp_ms, bool) or not 0 < timestamp_ms < 10**14:
        raise InvalidWebhook("the timestamp is not a number of milliseconds")
    now = time.time() if now is None else now
    if abs(now - timestamp_ms / 1000) > tolerance_seconds:
        raise InvalidWebhook("the timestamp is outside the tolerance")


def _message_id(payload: dict[str, Any]) -> str:
    value = payload.get("id")
    if isinstance(value, dict):  # WEBJS: {"fromMe": true, "remote": …, "_serialized": "true_…"}
        value = value.get("_serialized") or value.get("id")
    if value is None and isinstance(payload.get("key"), dict):  # NOWEB: {"key": {"id": …}}
        value = payload["key"].get("id")
    return value if isinstance(value, str) and len(value) <= 255 else ""


def _ack(value: Any) -> Ack | None:
    try:
        return Ack(value)
    except ValueError:
        return None


def _inbound_message(payload: dict[str, Any]) -> InboundMessage:
    media = payload.get("media") if isinstance(payload.get("media"), dict) else {}
    timestamp = payload.get("timestamp")
    body = payload.get("body")
    return InboundMessage(
        provider_message_id=_message_id(payload),
        from_number=phone_number(payload.get("from")),
        text=body if isinstance(body, str) else "",
        is_from_me=payload.get("fromMe") is True,
        sent_at=datetime.fromtimestamp(timestamp, UTC)
        if isinstance(timestamp, int) and 0 < timestamp < 10**11
        else None,
        media_url=_string(media.get("url")),
        media_mimetype=_string(media.get("mimetype")),
        media_filename=_string(media.get("filename")),
    )


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
