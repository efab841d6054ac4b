"""A fake SMTP server for tests (127.0.0.1, a free port): speaks enough SMTP for Django's SMTP
backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps what it received::

    with FakeSmtp() as smtp:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        ...
        smtp.messages[0].recipients, smtp.messages[0].parsed["Subject"]
        smtp.refuse_next(2)   # answer the next two messages' DATA with a 451 (a temporary failure)
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from servicekit.testing.local_server import LocalServer


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes
    parsed: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        self.parsed = email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[assignment]


class FakeSmtp(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[ReceivedMail] = []
        self._refusals = 0
        self._lock = threading.Lock()

    def _make_server(self) -> socketserver.ThreadingTCPServer:
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                owner._converse(self)

        return socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)

    def refuse_next(self, count: int = 1) -> None:
        with self._lock:
            self._refusals += count

    def _converse(self, stream: socketserver.StreamRequestHandler) -> None:
        def reply(line: str) -> None:
            stream.wfile.write(line.encode() + b"\r\n")

        sender, recipients = "", []
        reply("220 fake-smtp ready")
        while raw := stream.rfile.readline():
            command = raw.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 fake-smtp")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 end with <CRLF>.<CRLF>")
                data = self._read_data(stream)
                with self._lock:
                    refused = self._refusals > 0
                    self._refusals -= refused
                    if not refused:
                        self.messages.append(ReceivedMail(sender, recipients, data))
                reply("451 try again later" if refused else "250 queued")
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 bye")
                return
            else:
                reply("502 not implemented")

    @staticmethod
    def _read_data(stream: socketserver.StreamRequestHandler) -> bytes:
        lines = []
        while (line := stream.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        return b"".join(lines)
