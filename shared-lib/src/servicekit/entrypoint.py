"""The process entrypoint every service uses, natively and in its container.

``entrypoint.sh <command> [args…]`` → ``python -m servicekit.entrypoint <command> [args…]``:
wait for Postgres (and the broker for event processes), migrate when asked
(``MIGRATE_ON_START=1`` or the ``migrate`` command), then exec the process.

``web`` always runs gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set, so ``/metrics`` adds up
every worker: the configured directory (images) is emptied of the previous run's files first
(a Kubernetes emptyDir outlives a container restart); without one (native runs) a fresh
temporary directory is made per start, and removed again when gunicorn exits.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit


def gunicorn_script() -> str:
    """The ``gunicorn`` console script installed with this interpreter (else the one on PATH).

    Not ``python -m gunicorn``: on USR2 gunicorn re-executes its own argv, which turns that into
    ``python …/gunicorn/__main__.py`` and puts gunicorn's package first on sys.path, so the new
    master's workers import ``gunicorn.http`` for the stdlib's ``http`` (gunicorn issue 3281).
    """
    beside = Path(sys.executable).parent / "gunicorn"
    found = str(beside) if beside.is_file() else shutil.which("gunicorn")
    if not found:
        raise SystemExit(f"[entrypoint] no gunicorn script beside {sys.executable} or on PATH")
    return found


WEB_INTERFACES = ("wsgi", "asgi")


def web_interface() -> str:
    """``WEB_INTERFACE``: ``wsgi`` (the default: sync workers) or ``asgi`` (uvicorn workers, for a
    service that serves long-lived responses such as server-sent events from async views; its
    entrypoint.sh exports it, so every way of starting it agrees)."""
    value = os.environ.get("WEB_INTERFACE", "").strip() or "wsgi"
    if value not in WEB_INTERFACES:
        raise SystemExit(
            f"[entrypoint] WEB_INTERFACE must be one of {', '.join(WEB_INTERFACES)}, not {value!r}"
        )
    return value


def celery_command(svc: str) -> list[str]:
    """``python -m celery -A <service>``; ``--quiet`` with ``LOG_FORMAT=json``: Celery prints its
    worker and beat banners outside logging, and servicekit.celery logs them as JSON instead."""
    quiet = ["--quiet"] if os.environ.get("LOG_FORMAT", "json").strip() != "text" else []
    return [sys.executable, "-m", "celery", *quiet, "-A", svc]


def worker_command(svc: str) -> list[str]:
    """The Celery worker; ``CELERY_POOL`` and ``CELERY_CONCURRENCY`` size it (Celery's own
    defaults when unset: prefork, one child per CPU). ``CELERY_EMBED_BEAT=1`` (development)
    runs the service's beat in a thread of it (servicekit.celery.EmbeddedBeat)."""
    argv = [
        *celery_command(svc),
        "worker",
        "--loglevel",
        "INFO",
        "--hostname",
        f"{svc}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    pool = os.environ.get("CELERY_POOL", "").strip()
    concurrency = os.environ.get("CELERY_CONCURRENCY", "").strip()
    if pool:
        argv += ["--pool", pool]
    if concurrency:
        argv += ["--concurrency", concurrency]
    return argv


PROCESS_COMMANDS = {
    # name -> argv (after the service's settings are known)
    "web": lambda svc: [
        sys.executable,
        gunicorn_script(),
        "-c",
        "gunicorn.conf.py",
        f"{svc}.{web_interface()}:application",
    ],
    # A node name per service: workers of several services share one broker (and its pidbox).
    "worker": worker_command,
    "beat": lambda svc: [*celery_command(svc), "beat", "--loglevel", "INFO"],
    "consumer": lambda svc: [sys.executable, "manage.py", "consume_events"],
    "relay": lambda svc: [sys.executable, "manage.py", "relay_events"],
    # Consumer and relay in one process, a thread each (servicekit.events.process): `make run`.
    "events": lambda svc: [sys.executable, "manage.py", "run_events"],
    # The request logs every service ships (servicekit.observability.requestlog), stored by
    # the service that keeps them (analytics' ingest_request_logs).
    "ingester": lambda svc: [sys.executable, "manage.py", "ingest_request_logs"],
}
NEEDS_BROKER = {"worker", "beat", "consumer", "relay", "events"}
# In a metrics directory the entrypoint made for one run: gunicorn_config.on_exit removes it.
TEMPORARY_METRICS_DIR_MARKER = ".servicekit-temporary"


def wait_timeout() -> float:
    """``WAIT_TIMEOUT_SECONDS``; empty (as copied from .env.example) counts as unset."""
    return float(os.environ.get("WAIT_TIMEOUT_SECONDS", "").strip() or "60")


def log(message: str, level: str = "INFO") -> None:
    """A line of the entrypoint's own, in the service's ``LOG_FORMAT`` (json: one object)."""
    print(format_line(message, level), file=sys.stderr, flush=True)


def format_line(message: str, level: str = "INFO") -> str:
    if os.environ.get("LOG_FORMAT", "json").strip() != "text":
        from servicekit.observability.logging import json_line

        return json_line(
            message, service=os.environ.get("SERVICE_NAME", ""), logger="entrypoint", level=level
        )
    return f"[entrypoint] {message}"


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
    """Return once the database accepts a connection; exit with the reason at ``deadline``.

    Each attempt's connect timeout is capped at the time left, so a database that accepts
    connections but never answers cannot hold the wait past its deadline for long.
    """
    import django
    from django.db import connection
    from django.db.utils import OperationalError

    django.setup()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    configured_timeout = options.get("connect_timeout")
    where = f"{connection.settings_dict.get('HOST') or 'localhost'}:{connection.settings_dict.get('PORT') or 5432}"
    try:
        while True:
            left = deadline - time.monotonic()
            # libpq's connect_timeout is whole seconds, at least 2.
            options["connect_timeout"] = max(2, min(int(configured_timeout or 10), math.ceil(left)))
            try:
                connection.ensure_connection()
                connection.close()
                return
            except OperationalError as exc:
                if time.monotonic() >= deadline:
                    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    raise SystemExit(
                        f"[entrypoint] gave up waiting for the database at {where} after "
                        f"{wait_timeout():g}s (WAIT_TIMEOUT_SECONDS): {detail}"
                    ) from exc
                log(f"waiting for the database at {where} …")
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    finally:
        if configured_timeout is None:
            options.pop("connect_timeout", None)
        else:
            options["connect_timeout"] = configured_timeout


def prepare_metrics_dir(service: str) -> Path:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` for gunicorn and make sure it holds no old files.

    Configured (images): created if missing and emptied of ``*.db`` files, whose counters
    belong to processes of an earlier run. Not configured (native runs): a new directory per
    start under the temp dir, so two instances of a service (``make run`` and the e2e tests)
    never share one; gunicorn_config.on_exit removes it.
    """
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if configured:
        path = Path(configured)
        try:
            path.mkdir(parents=True, exist_ok=True)
            # Only prometheus_client's files: the variable may point somewhere shared by mistake.
            for leftover in path.glob("*.db"):
                if leftover.is_file() or leftover.is_symlink():
                    leftover.unlink(missing_ok=True)
        except OSError as exc:
            raise SystemExit(
                f"[entrypoint] cannot prepare PROMETHEUS_MULTIPROC_DIR={configured}: {exc}"
            ) from exc
    else:
        path = Path(tempfile.mkdtemp(prefix=f"{service}-prometheus-"))
        (path / TEMPORARY_METRICS_DIR_MARKER).touch()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(f"usage: entrypoint.sh {{{'|'.join(PROCESS_COMMANDS)}|migrate|manage …|<command>}}")
    service = os.environ["SERVICE_NAME"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    command, rest = argv[0], argv[1:]
    deadline = time.monotonic() + wait_timeout()

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
    if command == "web":
        prepare_metrics_dir(service)

    if command == "manage":
        argv_exec = [sys.executable, "manage.py", *rest]
    elif command in PROCESS_COMMANDS:
        argv_exec = PROCESS_COMMANDS[command](service) + rest
    else:
        argv_exec = [command, *rest]
    sys.stdout.flush()
    os.execvp(argv_exec[0], argv_exec)


def run(argv: list[str]) -> None:
    """``main``, with a refusal (``SystemExit`` with a message) written as a log line."""
    try:
        main(argv)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            message = exc.code.removeprefix("[entrypoint] ")
            print(format_line(message, "ERROR"), file=sys.stderr, flush=True)
            raise SystemExit(1) from None
        raise


if __name__ == "__main__":
    run(sys.argv[1:])
