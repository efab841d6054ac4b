"""Tasks for servicekit's Celery tests."""

import os
import time

import redis
from celery import shared_task
from django.conf import settings

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
