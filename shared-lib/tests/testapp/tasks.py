"""Tasks for servicekit's Celery tests."""

import os
import time

import redis
from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from servicekit.celery import RETRY_WHILE_DATABASE_AWAY
from servicekit.observability.context import get_request_id


@shared_task
def add(x: int, y: int) -> int:
    return x + y


@shared_task
def current_request_id() -> str | None:
    return get_request_id()


@shared_task
def record_start_then_sleep(key: str, seconds: float) -> int:
    """Note each start (its worker's pid) in Redis, then sleep: a kill mid-task shows as two starts."""
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    client.rpush(key, os.getpid())
    client.expire(key, 600)
    time.sleep(seconds)
    return client.llen(key)


@shared_task
def echo(value: str) -> str:
    """One argument, as a sweep's tasks take (a row's id)."""
    return value


@shared_task(**RETRY_WHILE_DATABASE_AWAY)
def fail_with_database_away(key: str, failures: int) -> int:
    """Raise the database's "cannot connect" ``failures`` times (counted in Redis), then succeed."""
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    runs = client.incr(key)
    client.expire(key, 600)
    if runs <= failures:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
    return runs
