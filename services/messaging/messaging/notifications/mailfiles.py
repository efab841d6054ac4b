"""The development e-mail backend: one ``.eml`` file per message under ``MAIL_DIR`` (open it
with any mail client) and one log line saying who it is for, its subject and its file.

Like a mail store, it keeps one copy of a ``Message-ID``: a message sent again after its sender
died between the send and recording it (notifications keep their id across attempts) replaces
its earlier file instead of adding a second (such files are named by the id's hash; `ls -t`
lists them newest first)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, mail_dir: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mail_dir = Path(mail_dir or settings.MAIL_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                path = self._write(message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            logger.info(
                "mail to %s: %r written to %s",
                ", ".join(message.recipients()),
                message.subject,
                path,
                extra={
                    "mail_to": message.recipients(),
                    "mail_subject": message.subject,
                    "mail_file": str(path),
                },
            )
            sent += 1
        return sent

    def _write(self, message: EmailMessage) -> Path:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        message_id = message.extra_headers.get("Message-ID", "")
        if message_id:  # named by its id: sent again, it replaces itself (no directory scan)
            path = self.mail_dir / f"{hashlib.sha256(message_id.encode()).hexdigest()[:24]}.eml"
        else:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = self.mail_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        # Written under a temporary name and renamed: a reader never sees half a message.
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(message.message().as_bytes(linesep="\n"))
        partial.replace(path)
        return path
