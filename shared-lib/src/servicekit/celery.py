"""Celery for in-service background work; every service's ``<service>/celery.py`` is::

    from servicekit.celery import make_app

    app = make_app("orders")

Configuration comes from the ``CELERY_*`` settings built by ``servicekit.settings``
(acks late, re-queue on worker loss, confirmed publishing, one quorum queue per service).
Tasks are Celery's Django tasks: enqueue one for state a transaction writes with
``task.delay_on_commit(...)``, so a worker never sees state that might still roll back (or a
task for state that did); ``delay``/``apply_async`` send at once. The request id travels with
the task and is in the worker's logs.

:func:`send_on_commit` is ``delay_on_commit`` for a task whose row a sweep finds again: when the
broker cannot take the task the committed request still succeeds (the row is there, a sweep
sends its task later) instead of failing with a 500 after its state was written.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Iterable
from typing import Any

from celery import Celery, bootsteps, signals
from celery.contrib.django.task import DjangoTask
from celery.exceptions import Reject
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from servicekit.observability.context import get_request_id, request_id_scope
from servicekit.observability.logging import json_line, warnings_as_json_lines

logger = logging.getLogger("servicekit.celery")

REQUEST_ID_HEADER = "request_id"
DEFAULT_CONFIRM_TIMEOUT = 5.0

# The database could not be reached (restarting, its path cut): worth running the task again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

# Task options for a task whose message is its only record (nothing sweeps it again): while the
# database is away it runs again in 1, 2, 4 … 30 s, for as long as it takes.
RETRY_WHILE_DATABASE_AWAY: dict[str, Any] = {
    "autoretry_for": DATABASE_UNAVAILABLE,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": False,
    "max_retries": None,
}


class Task(DjangoTask):
    """Publishing waits for the broker's confirm, with a timeout (kombu would wait for ever).

    A countdown is rounded up to whole seconds: RabbitMQ's native delayed delivery (how Celery
    delays tasks on quorum queues) counts whole seconds, and refuses a countdown under one
    second outright (kombu truncates it to 0). Rounded up, a task never runs early.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        from django.conf import settings

        options.setdefault(
            "confirm_timeout", getattr(settings, "SERVICEKIT_CELERY_CONFIRM_TIMEOUT", DEFAULT_CONFIRM_TIMEOUT)
        )
        countdown = options.get("countdown")
        if countdown is not None and countdown > 0:
            options["countdown"] = math.ceil(countdown)
        return super().apply_async(args, kwargs, **options)

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        """Celery rejects the message *without* requeueing it when the retry cannot be
        published (the broker away too): the task would be lost. Requeued instead (acks late:
        a connection that dropped requeues it anyway), it runs again once the broker is back."""
        try:
            return super().retry(*args, **kwargs)
        except Reject as reject:
            if isinstance(reject.reason, (BrokerUnavailable, OSError)):
                logger.warning(
                    "task %s: its retry could not be sent (%s); requeued", self.name, reject.reason
                )
                raise Reject(reject.reason, requeue=True) from None
            raise


def embed_beat() -> bool:
    """``CELERY_EMBED_BEAT=1``: the worker runs the service's beat in a thread of its own
    (``make run``). Only where one worker runs per service: each would send every entry."""
    return os.environ.get("CELERY_EMBED_BEAT", "").strip() == "1"


class EmbeddedBeat(bootsteps.StartStopStep):
    """The service's beat in a thread of the worker (Celery's ``--beat`` forks a process: in
    development that is one more interpreter per service for a scheduler that sleeps).

    Enabled by ``CELERY_EMBED_BEAT=1`` when the service has a schedule. The schedule file is
    the configured ``CELERY_BEAT_SCHEDULE_FILENAME`` (``make run`` keeps one per run)."""

    label = "servicekit embedded beat"
    conditional = True

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.enabled = embed_beat() and bool(worker.app.conf.beat_schedule)
        super().__init__(worker, **kwargs)

    def create(self, worker: Any) -> Any:
        from celery.beat import EmbeddedService

        return EmbeddedService(
            worker.app, thread=True, schedule_filename=worker.app.conf.beat_schedule_filename
        )


class EmbeddedEvents(bootsteps.StartStopStep):
    """The service's event consumer and relay in threads of the worker (``make run``:
    ``CELERY_EMBED_EVENTS=1``), one interpreter fewer per service.

    The loops are servicekit.events.process's, each on its own broker and database connections
    (Django's are per thread: the worker's task-time connection handling never touches theirs),
    so at-least-once delivery and outbox order hold as in separate processes. A warm shutdown
    stops them (the relay finishes its batch); if one of them fails, the worker is stopped too,
    never left running without them."""

    label = "servicekit embedded events"
    conditional = True

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.enabled = os.environ.get("CELERY_EMBED_EVENTS", "").strip() == "1"
        self._stop: Any = None
        self._thread: threading.Thread | None = None
        super().__init__(worker, **kwargs)

    def start(self, worker: Any) -> None:
        from servicekit.events.combined import run_consumer_and_relay
        from servicekit.events.process import StopFlag

        stop = self._stop = StopFlag()

        def run() -> None:
            try:
                run_consumer_and_relay(stop)
            except SystemExit as exc:
                logger.error("%s; stopping the worker", exc.code)
                os.kill(os.getpid(), signal.SIGTERM)

        self._thread = threading.Thread(target=run, name="events", daemon=True)
        self._thread.start()

    def stop(self, worker: Any) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    shutdown = stop


def send_task(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send ``task`` now; False (logged) when the broker cannot take it: refused, dropped or
    unconfirmed connections. Only for tasks a sweep sends again from their row."""
    try:
        task.apply_async(args, kwargs)
    except (BrokerUnavailable, OSError) as exc:
        logger.warning("task %s%r not sent, the broker is unavailable: %s", task.name, args, exc)
        return False
    return True


def send_again(task: Any, row_ids: Iterable[Any], *, rows: str, limit: int = 500) -> int:
    """A sweep's resend: :func:`send_task` with each row id (at most ``limit``) whose task was
    lost, one warning naming the ``rows`` ("queued messages") when any went. Returns how many."""
    sent = sum(send_task(task, str(row_id)) for row_id in itertools.islice(row_ids, limit))
    if sent:
        logger.warning("sent the tasks of %d %s again (their tasks were lost)", sent, rows)
    return sent


def send_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """:func:`send_task` once the surrounding transaction commits (as ``delay_on_commit``)."""
    transaction.on_commit(lambda: send_task(task, *args, **kwargs))


def make_app(service: str) -> Celery:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    warnings_as_json_lines(service)
    app = Celery(service, task_cls=Task)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks()
    app.steps["worker"].add(EmbeddedBeat)
    app.steps["worker"].add(EmbeddedEvents)
    return app


@signals.worker_init.connect
def _never_eager_in_a_worker(sender: Any = None, **_: Any) -> None:
    """A worker sends what its tasks send (a retry, a follow-up) to the broker, even where the
    settings run tasks inline (``DJANGO_ENV=test``): the workers tests start behave as deployed."""
    if sender is not None:
        sender.app.conf.task_always_eager = False


@signals.before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = get_request_id()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


_scopes: dict[str, Any] = {}


@signals.task_prerun.connect
def _enter_request_id(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None or task is None:
        return
    # A worker takes the publisher's request id; an eager task keeps its caller's.
    scope = request_id_scope(getattr(task.request, REQUEST_ID_HEADER, None) or get_request_id() or task_id)
    scope.__enter__()
    _scopes[task_id] = scope


@signals.task_postrun.connect
def _leave_request_id(task_id: str | None = None, **_: Any) -> None:
    scope = _scopes.pop(task_id, None) if task_id else None
    if scope is not None:
        scope.__exit__(None, None, None)


def json_logs() -> bool:
    """``LOG_FORMAT=json`` (the default): Celery's banners, printed outside logging, are
    switched off (``celery --quiet``, servicekit.entrypoint) and logged here as one line each."""
    return os.environ.get("LOG_FORMAT", "json").strip() != "text"


@signals.celeryd_init.connect
def _shutdown_notices_as_json(sender: Any = None, instance: Any = None, **_: Any) -> None:
    """Celery writes its shutdown notices ("worker: Warm shutdown (MainProcess)") straight to
    the terminal from its signal handlers (``safe_say``): with JSON logs, as one JSON line."""
    if not json_logs() or instance is None:
        return
    from celery.apps import worker as worker_program

    service = instance.app.main or ""

    def say(message: str, f: Any = sys.__stderr__) -> None:
        line = json_line(message.strip(), service=service, logger="celery.worker", level="WARNING")
        with contextlib.suppress(OSError, AttributeError, ValueError):
            os.write(f.fileno(), (line + "\n").encode())

    worker_program.safe_say = say


@signals.celeryd_after_setup.connect
def _log_worker_banner(sender: Any = None, instance: Any = None, **_: Any) -> None:
    if instance is None or not getattr(instance, "quiet", False):
        return  # Celery printed its banner itself
    logger.info(
        "celery worker %s starting",
        sender,
        extra={"banner": instance.startup_info(artlines=False).strip(), "node": str(sender)},
    )


@signals.beat_init.connect
def _log_beat_banner(sender: Any = None, **_: Any) -> None:
    if not json_logs() or sender is None:
        return
    scheduler = sender.scheduler_cls
    name = scheduler if isinstance(scheduler, str) else f"{scheduler.__module__}.{scheduler.__name__}"
    logger.info(
        "celery beat starting",
        extra={
            "scheduler": name,
            "schedule_file": sender.schedule_filename,
            "max_interval_seconds": sender.max_interval,
            "entries": sorted(sender.app.conf.beat_schedule or {}),
        },
    )
