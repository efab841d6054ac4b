"""One JSON object per log line, each carrying the service and the request id; no secret in any."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import warnings
from datetime import UTC, datetime
from typing import Any, TextIO

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
        if record.exc_text:  # RedactSecretsFilter rendered (and redacted) it
            extra["exc_info"] = record.exc_text
        elif record.exc_info:
            extra["exc_info"] = self.formatException(record.exc_info)
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


# --- secrets never reach a log line -----------------------------------------------------------

REDACTED = "[REDACTED]"
# Keys whose values are secrets wherever they appear (extra= fields, dicts, "key=value" text).
_SECRET_KEY = (
    r"(?:password|passwd|secret(?:[_-]?key)?|private[_-]?key|token|api[_-]?key|authorization|refresh|access"
    r"|cookie|signature)"
)
# Authorization schemes: "Bearer <token>" keeps the scheme, loses the credentials.
# Case as sent (RFC 7235 allows any, every client we know sends these), so prose stays readable.
_SCHEME = r"(Bearer|bearer|ApiKey|Basic)"
_SECRET_KEY_NAME = re.compile(rf"(?i)(?:^|_|-){_SECRET_KEY}(?:$|_|-)|^{_SECRET_KEY}")
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Any JWT (identity's access and refresh tokens): three base64url parts, the first a JSON header.
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # identity's API keys, <prefix>.<secret>: the prefix names the key and is no secret.
    (re.compile(r"\b(ik_[0-9a-f]{16})\.[A-Za-z0-9_-]{8,}"), rf"\1.{REDACTED}"),
    # An Authorization header's credentials, however they were printed.
    (
        re.compile(
            rf"\b{_SCHEME}(\s+)(?!\[REDACTED\]|ik_[0-9a-f]{{16}}\.\[REDACTED\])[A-Za-z0-9._~+/=-]{{8,}}"
        ),
        rf"\1\2{REDACTED}",
    ),
    # Secrets in a URL's query: password-reset and verification links, ?token=, ?api_key= …
    (
        re.compile(rf"(?i)([?&;][A-Za-z_-]*{_SECRET_KEY}[A-Za-z_-]*=)(?!\[REDACTED\])[^&;\s\"'#<>]+"),
        rf"\1{REDACTED}",
    ),
    # key: value and key=value in text, quoted or not: {'password': 'x'}, "token": "x", secret=x.
    (
        re.compile(
            rf"(?i)([\"']?\b[A-Za-z_-]*{_SECRET_KEY}[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED\]|(?-i:{_SCHEME})\s)([^\"'\s,;&}}\]]+)"
        ),
        rf"\1{REDACTED}",
    ),
)


def redact(text: str) -> str:
    """``text`` with every token, password, API key and secret link parameter replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, key: str = "") -> Any:
    """A logged value with its secrets redacted: whole values under a secret-looking key,
    secrets inside strings, recursively through dicts, lists and tuples."""
    if key and _SECRET_KEY_NAME.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value


class RedactSecretsFilter(logging.Filter):
    """On the services' log handler: no token, password, API key or reset link leaves a
    process in a log line, whoever logged it (our code, Django, Celery, gunicorn, a library).

    The message is rendered and redacted once (its ``args`` dropped, so no formatter can
    render them again), ``extra=`` fields are redacted by key and by content, and an
    exception's text is rendered and redacted into ``exc_text``, which formatters print."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log what was given rather than lose the line
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                setattr(record, key, redact_value(value, key))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
