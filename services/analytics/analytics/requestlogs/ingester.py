"""The request-log ingester process (``manage.py ingest_request_logs``): the stream → Postgres."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from analytics.requestlogs.services import request_logs_ingest
from servicekit.events.process import StopFlag
from servicekit.observability.requestlog import request_log_conf

logger = logging.getLogger("analytics.requestlogs")
WAIT_MILLISECONDS = 1000  # an idle ingester notices a stop request within this


def run(stop: StopFlag) -> None:
    conf = request_log_conf()
    client = redis.Redis.from_url(conf.redis_url, socket_timeout=WAIT_MILLISECONDS / 1000 + 5)
    max_entries = settings.ANALYTICS["REQUEST_LOG_INGEST_ENTRIES"]
    logger.info("ingesting request logs from %s", conf.stream)
    delay = 0.5
    stored = 0
    while not stop.is_set():
        try:
            close_old_connections()
            result = request_logs_ingest(client=client, stream=conf.stream, max_entries=max_entries)
            stored += result.stored
            if result.entries < max_entries:
                # Wait for an entry after the cursor (returns at once if one is there already).
                client.xread({conf.stream: result.last_id}, count=1, block=WAIT_MILLISECONDS)
            delay = 0.5
        except (redis.RedisError, DatabaseError) as exc:
            logger.warning("cannot ingest request logs now: %r; retrying in %.1fs", exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, 10.0)
    logger.info("ingester stopped; request logs stored: %d", stored)
