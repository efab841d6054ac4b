"""A WAHA-compatible HTTP provider (https://waha.devlike.pro), configured by base URL and API key.

=============================  ==============================================================
call                           WAHA endpoint
=============================  ==============================================================
start a session                ``POST /api/sessions/start`` ``{name, config: {webhooks}}``
stop / log out                 ``POST /api/sessions/stop`` / ``POST /api/sessions/logout``
a session's state              ``GET /api/sessions/{name}``
the QR code's text             ``GET /api/{name}/auth/qr?format=raw`` → ``{"value": …}``
send text                      ``POST /api/sendText`` ``{session, chatId, text}``
send an image / another file   ``POST /api/sendImage`` / ``POST /api/sendFile`` ``{…, file, caption}``
=============================  ==============================================================

Every call carries ``X-Api-Key`` and a timeout. A 5xx answer or a refused connection is tried
again (``WAHA_RETRIES`` times, doubling the pause); a timeout too, but only for reads: a send
that timed out may have been delivered, so it is reported (:class:`ProviderUnavailable`) and
the send task decides. A 4xx is :class:`ProviderRejected`, never retried.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from messaging.providers import waha_format
from messaging.providers.base import (
    MessagingProvider,
    OutgoingMedia,
    ProviderRejected,
    ProviderUnavailable,
    SentMessage,
    SessionInfo,
    WebhookType,
)

logger = logging.getLogger(__name__)

WEBHOOK_EVENTS = [WebhookType.MESSAGE.value, WebhookType.MESSAGE_ACK.value, WebhookType.SESSION_STATUS.value]
_ERROR_TEXT_MAX = 500


class WahaProvider(MessagingProvider):
    name = "waha"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_url: str,
        webhook_secret: str,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    @classmethod
    def from_settings(cls) -> WahaProvider:
        from django.conf import settings

        conf = settings.MESSAGING
        return cls(
            base_url=conf["WAHA_BASE_URL"],
            api_key=conf["WAHA_API_KEY"],
            webhook_url=conf["WEBHOOK_URL"],
            webhook_secret=conf["WEBHOOK_SECRET"],
            timeout=conf["WAHA_TIMEOUT_SECONDS"],
            retries=conf["WAHA_RETRIES"],
            backoff=conf["WAHA_RETRY_BACKOFF_SECONDS"],
        )

    # -- sessions ----------------------------------------------------------------------
    def start_session(self, *, session_name: str) -> SessionInfo:
        config = {
            "webhooks": [
                {"url": self.webhook_url, "events": WEBHOOK_EVENTS, "hmac": {"key": self.webhook_secret}}
            ]
        }
        try:
            answer = self._call("POST", "/api/sessions/start", {"name": session_name, "config": config})
        except ProviderRejected as exc:
            if exc.status != 422:  # WAHA answers 422 to starting a session that already runs
                raise
            answer = self._call("GET", f"/api/sessions/{quote(session_name, safe='')}")
        return _session_info(answer)

    def stop_session(self, *, session_name: str) -> None:
        self._call("POST", "/api/sessions/stop", {"name": session_name, "logout": False})

    def logout_session(self, *, session_name: str) -> None:
        self._call("POST", "/api/sessions/logout", {"name": session_name})

    def qr_value(self, *, session_name: str) -> str:
        answer = self._call("GET", f"/api/{quote(session_name, safe='')}/auth/qr?format=raw")
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise ProviderUnavailable("WAHA answered the QR request without a value")
        return value

    # -- messages ----------------------------------------------------------------------
    def send_text(self, *, session_name: str, to: str, text: str) -> SentMessage:
        answer = self._call(
            "POST",
            "/api/sendText",
            {"session": session_name, "chatId": waha_format.chat_id(to), "text": text},
        )
        return SentMessage(provider_message_id=waha_format.message_id(answer))

    def send_media(self, *, session_name: str, to: str, media: OutgoingMedia, caption: str) -> SentMessage:
        path = "/api/sendImage" if media.mimetype.startswith("image/") else "/api/sendFile"
        body = {
            "session": session_name,
            "chatId": waha_format.chat_id(to),
            "file": {
                "mimetype": media.mimetype,
                "filename": media.filename,
                "data": base64.b64encode(media.data).decode(),
            },
            "caption": caption,
        }
        return SentMessage(provider_message_id=waha_format.message_id(self._call("POST", path, body)))

    # -- HTTP ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        is_read = method == "GET"
        attempts = 1 + max(self.retries, 0)
        for attempt in range(1, attempts + 1):
            try:
                return self._request(method, path, body)
            except _Retryable as exc:
                if exc.maybe_acted_on and not is_read:  # repeating a send could send it twice
                    raise ProviderUnavailable(f"WAHA {method} {_path(path)} failed: {exc}") from None
                if attempt == attempts:
                    raise ProviderUnavailable(f"WAHA {method} {_path(path)} failed: {exc}") from None
                pause = self.backoff * 2 ** (attempt - 1)
                logger.warning(
                    "WAHA %s %s failed (%s); attempt %d in %.1fs",
                    method,
                    _path(path),
                    exc,
                    attempt + 1,
                    pause,
                )
                self._sleep(pause)
        raise AssertionError("unreachable")

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        request.add_header("X-Api-Key", self.api_key)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read()[:_ERROR_TEXT_MAX].decode("utf-8", "replace")
            if exc.code >= 500:
                raise _Retryable(f"HTTP {exc.code}") from None
            raise ProviderRejected(
                f"WAHA answered {exc.code}: {_error_message(text)}", status=exc.code
            ) from None
        except TimeoutError:
            raise _Retryable("timed out", maybe_acted_on=True) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable("timed out", maybe_acted_on=True) from None
            raise _Retryable(str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:  # reset or cut off mid-answer
            raise _Retryable(str(exc) or type(exc).__name__, maybe_acted_on=True) from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise ProviderUnavailable(
                f"WAHA {method} {_path(path)} answered something other than JSON"
            ) from None


class _Retryable(Exception):
    def __init__(self, message: str, *, maybe_acted_on: bool = False) -> None:
        super().__init__(message)
        self.maybe_acted_on = maybe_acted_on  # WAHA may have received the request


def _session_info(answer: Any) -> SessionInfo:
    if not isinstance(answer, dict):
        raise ProviderUnavailable("WAHA answered with something other than a session")
    me = answer.get("me") if isinstance(answer.get("me"), dict) else {}
    return SessionInfo(
        state=waha_format.session_state(answer.get("status")),
        phone_number=waha_format.phone_number(me.get("id")),
    )


def _error_message(text: str) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        return text.strip() or "no details"
    if isinstance(document, dict):
        for key in ("message", "error", "detail"):
            if isinstance(document.get(key), str):
                return document[key]
    return text.strip()


def _path(path: str) -> str:
    return path.split("?")[0]
