"""A fake WAHA server for tests: the part of WAHA's HTTP API the adapter uses, on 127.0.0.1 and
a free port, with failures and slow answers on demand::

    with FakeWaha(api_key="k") as waha:
        waha.fail_next("/api/sendText", status=503)       # the next send answers 503
        waha.delay_next("/api/sessions/", seconds=2.0)    # the next session read is slow
        ...
        waha.sent                                          # what was sent, in order
        body, headers = waha.webhook("s1", "message.ack", {...})  # signed as WAHA signs

Sessions follow WAHA: started → SCAN_QR_CODE (a new QR text on each request), then whatever a
test sets with :meth:`FakeWaha.set_status`; sends need a WORKING session.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from messaging.providers import waha_format
from servicekit.testing.http_server import LocalHttpServer, RecordedRequest


@dataclass
class _Trouble:
    path_prefix: str
    status: int | None  # answer with this status
    delay: float  # and/or answer this late
    times: int


class FakeWaha(LocalHttpServer):
    def __init__(self, *, api_key: str = "fake-waha-key") -> None:
        super().__init__(self._answer)
        self.api_key = api_key
        self.sessions: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self.next_message_ids: list[str] = []  # ids the next sends answer with, in order
        self._troubles: list[_Trouble] = []
        self._state_lock = threading.Lock()

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [request for request in self.requests if urlsplit(request.path).path.startswith(path_prefix)]

    # -- scripting ----------------------------------------------------------------------------
    def fail_next(self, path_prefix: str, *, status: int = 500, times: int = 1) -> None:
        with self._state_lock:
            self._troubles.append(_Trouble(path_prefix, status, 0.0, times))

    def delay_next(self, path_prefix: str, *, seconds: float, times: int = 1) -> None:
        with self._state_lock:
            self._troubles.append(_Trouble(path_prefix, None, seconds, times))

    def set_status(self, name: str, status: str, *, me: str = "") -> None:
        with self._state_lock:
            session = self.sessions.setdefault(name, {"name": name, "config": {}})
            session["status"] = status
            session["me"] = {"id": waha_format.chat_id(me), "pushName": "Fake"} if me else None

    def webhook(
        self, name: str, event: str, payload: dict[str, Any], *, event_id: str = ""
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook for session ``name`` as WAHA would post it, signed with the session's key."""
        session = self.sessions[name]
        key = session["config"]["webhooks"][0]["hmac"]["key"]
        me = session.get("me") or {}
        body = waha_format.webhook_body(
            event_id=event_id or f"evt_{secrets.token_hex(13)}",
            event=event,
            session=name,
            payload=payload,
            me=waha_format.phone_number(me.get("id")),
        )
        return body, waha_format.sign_webhook(body, secret=key)

    # -- the API ------------------------------------------------------------------------------
    def _answer(self, request: RecordedRequest) -> tuple[int, Any]:
        path = urlsplit(request.path).path
        trouble = self._take_trouble(path)
        if trouble is not None:
            time.sleep(trouble.delay)
            if trouble.status is not None:
                return trouble.status, {"statusCode": trouble.status, "message": "scripted failure"}
        if request.headers.get("x-api-key") != self.api_key:
            return 401, {"statusCode": 401, "message": "Unauthorized"}
        body = request.json() if request.body else {}
        with self._state_lock:
            return self._route(request.method, path, request.path, body)

    def _route(self, method: str, path: str, raw_path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST" and path == "/api/sessions/start":
            name = body["name"]
            if self.sessions.get(name, {}).get("status") not in (None, "STOPPED", "FAILED"):
                return 422, {"statusCode": 422, "message": f"Session '{name}' is already started."}
            self.sessions[name] = {
                "name": name,
                "status": "SCAN_QR_CODE",
                "config": body.get("config", {}),
                "me": None,
            }
            return 201, {"name": name, "status": "STARTING", "config": body.get("config", {})}
        if method == "POST" and path in ("/api/sessions/stop", "/api/sessions/logout"):
            session = self.sessions.get(body.get("name"))
            if session is None:
                return 404, {"statusCode": 404, "message": "Session not found"}
            session["status"] = "STOPPED"
            if path.endswith("logout"):
                session["me"] = None
            return 201, {"name": session["name"], "status": "STOPPED"}
        if method == "GET" and path.startswith("/api/sessions/"):
            session = self.sessions.get(unquote(path.removeprefix("/api/sessions/")))
            if session is None:
                return 404, {"statusCode": 404, "message": "Session not found"}
            return 200, {key: session.get(key) for key in ("name", "status", "me", "config")}
        if method == "GET" and path.endswith("/auth/qr") and "format=raw" in raw_path:
            session = self.sessions.get(unquote(path.split("/")[2]))
            if session is None or session["status"] != "SCAN_QR_CODE":
                return 422, {"statusCode": 422, "message": "Session status is not SCAN_QR_CODE"}
            return 200, {"value": f"2@{secrets.token_urlsafe(48)},{secrets.token_urlsafe(32)}"}
        if method == "POST" and path in ("/api/sendText", "/api/sendImage", "/api/sendFile"):
            return self._send(path, body)
        return 404, {"statusCode": 404, "message": f"Cannot {method} {path}"}

    def _send(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        session = self.sessions.get(body.get("session"))
        if session is None or session["status"] != "WORKING":
            return 422, {"statusCode": 422, "message": "Session status is not as expected: WORKING"}
        if not str(body.get("chatId", "")).endswith("@c.us"):
            return 400, {"statusCode": 400, "message": "chatId must be a chat id"}
        message_id = (
            self.next_message_ids.pop(0)
            if self.next_message_ids
            else f"true_{body['chatId']}_{secrets.token_hex(10).upper()}"
        )
        self.sent.append({"path": path, "id": message_id, **body})
        return 201, {
            "id": {
                "fromMe": True,
                "remote": body["chatId"],
                "id": message_id.rsplit("_", 1)[-1],
                "_serialized": message_id,
            },
            "body": body.get("text", ""),
            "ack": 1,
        }

    def _take_trouble(self, path: str) -> _Trouble | None:
        with self._state_lock:
            for trouble in self._troubles:
                if path.startswith(trouble.path_prefix):
                    trouble.times -= 1
                    if trouble.times <= 0:
                        self._troubles.remove(trouble)
                    return trouble
        return None


def decoded_file(sent: dict[str, Any]) -> bytes:
    """The bytes of a file a test sent through the fake (``sent`` is one of ``FakeWaha.sent``)."""
    return base64.b64decode(sent["file"]["data"])


__all__ = ["FakeWaha", "decoded_file"]
