"""One JSON object per log line, each carrying the service and the request id."""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from datetime import UTC, datetime
from typing import TextIO

from servicekit.observability.context import get_request_id

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id() or "-"
        return True


def json_line(
    message: str,
    *,
    service: str,
    logger: str,
    level: str = "INFO",
    request_id: str | None = None,
    created: float | None = None,
    fields: dict[str, object] | None = None,
) -> str:
    """One log line as JSON with the keys every platform line has (ts, level, service, logger,
    message, request_id), for what writes outside ``logging`` (the entrypoint before exec)."""
    when = datetime.fromtimestamp(created, tz=UTC) if created is not None else datetime.now(UTC)
    entry = {
        "ts": when.isoformat(timespec="milliseconds"),
        "level": level,
        "service": service,
        "logger": logger,
        "message": message,
        "request_id": request_id if request_id is not None else (get_request_id() or "-"),
        **(fields or {}),
    }
    return json.dumps(entry, default=str)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        extra = {
            key: value
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        }
        if record.exc_info:
            extra["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            extra["exc_info"] = record.exc_text
        if record.stack_info:
            extra["stack_info"] = self.formatStack(record.stack_info)
        return json_line(
            record.getMessage(),
            service=self.service,
            logger=record.name,
            level=record.levelname,
            request_id=getattr(record, "request_id", None) or get_request_id(),
            created=record.created,
            fields=extra,
        )


def warnings_as_json_lines(service: str) -> None:
    """With ``LOG_FORMAT=json``, a warning shown before logging is configured (Celery warns
    while its worker starts, before Django's setup) is one JSON line on stderr too. Django's
    logging setup then routes warnings through the configured handlers (``captureWarnings``)."""
    if os.environ.get("LOG_FORMAT", "json").strip() == "text":
        return

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = warnings.formatwarning(message, category, filename, lineno, line).strip()
        stream = file if file is not None else sys.stderr
        if stream is None:
            return
        fields: dict[str, object] = {"category": category.__name__}
        stream.write(
            json_line(text, service=service, logger="py.warnings", level="WARNING", fields=fields) + "\n"
        )

    warnings.showwarning = show
