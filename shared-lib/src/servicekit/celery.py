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

import logging
import math
import os
from typing import Any

from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from servicekit.observability.context import get_request_id, request_id_scope

REQUEST_ID_HEADER = "request_id"
DEFAULT_CONFIRM_TIMEOUT = 5.0


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


logger = logging.getLogger(__name__)


def send_task(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Send ``task`` now; False (logged) when the broker cannot take it: refused, dropped or
    unconfirmed connections. Only for tasks a sweep sends again from their row."""
    try:
        task.apply_async(args, kwargs)
    except (BrokerUnavailable, OSError) as exc:
        logger.warning("task %s%r not sent, the broker is unavailable: %s", task.name, args, exc)
        return False
    return True


def send_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """:func:`send_task` once the surrounding transaction commits (as ``delay_on_commit``)."""
    transaction.on_commit(lambda: send_task(task, *args, **kwargs))


def make_app(service: str) -> Celery:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{service}.settings")
    app = Celery(service, task_cls=Task)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks()
    return app


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
