"""The gateway's stderr as JSON lines: nginx's error log (not JSON natively) and run.sh's own.

gateway/run.sh routes its stderr here when ``LOG_FORMAT=json`` (the default); nginx writes its
error log to stderr (``error_log stderr`` and ``-e stderr`` for what it says before reading its
configuration). Each input line becomes one JSON object with the keys of every platform line
(ts, level, service, logger, message, request_id) plus what nginx put in it (client, request,
upstream…). A line that is JSON already passes as it is. Only the standard library: the
gateway's image has no servicekit. SIGINT/SIGTERM are ignored: the filter ends when the last
writer (nginx) closes the pipe, so nginx's final lines are never lost.
"""

from __future__ import annotations

import json
import re
import signal
import sys
from datetime import UTC, datetime

# 2026/12/07 10:51:30 [error] 1234#1234: *5 message, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1"
_ERROR_LINE = re.compile(
    r"^(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(?P<level>\w+)\] (?P<pid>\d+)#(?P<tid>\d+): "
    r"(?:\*(?P<connection>\d+) )?(?P<rest>.*)$"
)
# nginx: [emerg] message (before the configuration is read, or from `nginx -t`)
_STARTUP_LINE = re.compile(r"^nginx: \[(?P<level>\w+)\] (?P<rest>.*)$")
_CONTEXT_KEYS = ("client", "server", "request", "subrequest", "upstream", "host", "referrer")
_CONTEXT = re.compile(r", (" + "|".join(_CONTEXT_KEYS) + r'): ("(?:[^"\\]|\\.)*"|[^,]*)')
_LEVELS = {
    "debug": "DEBUG",
    "info": "INFO",
    "notice": "INFO",
    "warn": "WARNING",
    "error": "ERROR",
    "crit": "CRITICAL",
    "alert": "CRITICAL",
    "emerg": "CRITICAL",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def to_json(line: str, service: str = "gateway") -> str:
    """One input line (without its newline) as one JSON object."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            if isinstance(json.loads(stripped), dict):
                return stripped
        except ValueError:
            pass
    entry: dict[str, object] = {"ts": _now(), "level": "INFO", "service": service}
    match = _ERROR_LINE.match(line)
    startup = None if match else _STARTUP_LINE.match(line)
    if match:
        when = datetime.strptime(match["ts"], "%Y/%m/%d %H:%M:%S").astimezone(UTC)
        rest, fields = _split_context(match["rest"])
        entry.update(
            ts=when.isoformat(timespec="milliseconds"),
            level=_LEVELS.get(match["level"], "ERROR"),
            logger="nginx.error",
            message=rest,
            request_id="-",
            pid=int(match["pid"]),
            **({"connection": int(match["connection"])} if match["connection"] else {}),
            **fields,
        )
    elif startup:
        entry.update(
            level=_LEVELS.get(startup["level"], "ERROR"),
            logger="nginx.error",
            message=startup["rest"],
            request_id="-",
        )
    else:
        entry.update(logger="gateway", message=line.rstrip(), request_id="-")
    return json.dumps(entry)


def _split_context(text: str) -> tuple[str, dict[str, str]]:
    """nginx's ``, client: …, request: "…"`` tail as fields; the message before it."""
    first = _CONTEXT.search(text)
    if first is None:
        return text, {}
    fields = {}
    for match in _CONTEXT.finditer(text, first.start()):
        value = match[2]
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"')
        fields[match[1]] = value
    return text[: first.start()], fields


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    service = "gateway"
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        if not line.strip():
            continue
        sys.stdout.write(to_json(line, service) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
