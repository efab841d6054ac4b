"""The process entrypoint every service uses, natively and in its container.

``entrypoint.sh <command> [args…]`` → ``python -m servicekit.entrypoint <command> [args…]``:
wait for Postgres (and the broker for event processes), migrate when asked
(``MIGRATE_ON_START=1`` or the ``migrate`` command), then exec the process.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from urllib.parse import urlsplit

PROCESS_COMMANDS = {
    # name -> argv (after the service's settings are known)
    "web": lambda svc: [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        f"{svc}.wsgi:application",
    ],
    # A node name per service: workers of several services share one broker (and its pidbox).
    "worker": lambda svc: [
        sys.executable,
        "-m",
        "celery",
        "-A",
        svc,
        "worker",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{svc}@%h",
        "--without-gossip",
        "--without-mingle",
    ],
    "beat": lambda svc: [sys.executable, "-m", "celery", "-A", svc, "beat", "--loglevel", "INFO"],
    "consumer": lambda svc: [sys.executable, "manage.py", "consume_events"],
    "relay": lambda svc: [sys.executable, "manage.py", "relay_events"],
}
NEEDS_BROKER = {"worker", "beat", "consumer", "relay"}


def log(message: str) -> None:
    print(f"[entrypoint] {message}", file=sys.stderr, flush=True)


def wait_for_tcp(name: str, host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"[entrypoint] {name} at {host}:{port} unreachable: {exc}") from exc
            log(f"waiting for {name} at {host}:{port} …")
            time.sleep(1)


def wait_for_database(deadline: float) -> None:
    import django
    from django.db import connection
    from django.db.utils import OperationalError

    django.setup()
    while True:
        try:
            connection.ensure_connection()
            connection.close()
            return
        except OperationalError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"[entrypoint] database unreachable: {exc}") from exc
            log("waiting for the database …")
            time.sleep(1)


def manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(f"usage: entrypoint.sh {{{'|'.join(PROCESS_COMMANDS)}|migrate|manage …|<command>}}")
    service = os.environ["SERVICE_NAME"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    command, rest = argv[0], argv[1:]
    deadline = time.monotonic() + float(os.environ.get("WAIT_TIMEOUT_SECONDS", "60"))

    if command in PROCESS_COMMANDS or command in {"migrate", "manage"}:
        wait_for_database(deadline)
    if command in NEEDS_BROKER:
        from django.conf import settings

        broker = urlsplit(settings.SERVICEKIT["BROKER_URL"])
        wait_for_tcp("broker", broker.hostname or "127.0.0.1", broker.port or 5672, deadline)

    if command == "migrate" or (command == "web" and os.environ.get("MIGRATE_ON_START") == "1"):
        manage("migrate", "--noinput")
        if command == "migrate":
            return
    if command == "web" and os.environ.get("COLLECTSTATIC_ON_START") == "1":
        manage("collectstatic", "--noinput", "--verbosity", "0")

    if command == "manage":
        argv_exec = [sys.executable, "manage.py", *rest]
    elif command in PROCESS_COMMANDS:
        argv_exec = PROCESS_COMMANDS[command](service) + rest
    else:
        argv_exec = [command, *rest]
    sys.stdout.flush()
    os.execvp(argv_exec[0], argv_exec)


if __name__ == "__main__":
    main(sys.argv[1:])
