"""The consumer and the relay of one service in one process, a thread each: ``manage.py
run_events`` and development's Celery worker (servicekit.celery.EmbeddedEvents)."""

from __future__ import annotations

import logging
import threading

from django.db import connections

from servicekit.events.consumer import Consumer
from servicekit.events.process import StopFlag
from servicekit.events.relay import Relay

logger = logging.getLogger("servicekit.events.combined")


def run_consumer_and_relay(stop: StopFlag) -> None:
    """The consumer and the relay of one service in one process, each in its own thread.

    No guarantee is lost against two processes: each loop keeps its own broker connection
    (pika's are not thread-safe, and neither loop shares one) and its own database connection
    (Django's are per thread), so the relay's claim-publish-confirm-mark cycle and the
    consumer's handle-commit-ack cycle are exactly those of the separate processes. Outbox
    order holds because one relay claims per subject in order (``outbox.claim``), whichever
    process it lives in; at-least-once holds because an event leaves the outbox only once the
    broker confirmed it and a delivery is acknowledged only after its handlers committed. If
    one loop ends unexpectedly the other is stopped too and the process exits non-zero, so a
    supervisor restarts both (the outbox's lease and the broker's redelivery cover the rest).
    """
    failures: list[str] = []

    def run(name: str, loop) -> None:
        try:
            loop(stop)
        except BaseException:
            logger.exception("the %s stopped unexpectedly; stopping the events process", name)
            failures.append(name)
        finally:
            connections.close_all()  # this thread's connections
            stop.set()  # one loop ending ends the other: never half a process

    threads = [
        threading.Thread(target=run, args=("relay", Relay().run), name="relay"),
        threading.Thread(target=run, args=("consumer", Consumer().run), name="consumer"),
    ]
    for thread in threads:
        thread.start()
    # The main thread only waits (signals are delivered to it and set ``stop``).
    stop.wait()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"events process: {', '.join(failures)} failed")
