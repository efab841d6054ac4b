"""Fixtures for the event tests: the real broker (throwaway names), a tap queue that sees
everything published, the relay and consumer as real subprocesses, and a TCP proxy."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika
import pytest

from servicekit.testing.polling import poll
from servicekit.testing.tcp_proxy import TcpProxy

SHARED_LIB = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def conf():
    from servicekit.events.conf import events_conf

    return events_conf()


@pytest.fixture(scope="session")
def amqp(conf) -> Iterator[Callable[[], Any]]:
    """Open channels on the real broker; at the end of the run, delete this run's topology."""
    from servicekit.events.topology import delete_topology

    connections: list[pika.BlockingConnection] = []

    def channel() -> Any:
        connection = pika.BlockingConnection(pika.URLParameters(conf.broker_url))
        connections.append(connection)
        return connection.channel()

    yield channel
    cleanup = channel()
    delete_topology(cleanup, conf)
    for connection in connections:
        # A connection left idle since early in a long run may have been dropped by the
        # broker (its heartbeats went unanswered while the test process did other work).
        with contextlib.suppress(pika.exceptions.AMQPError):
            if connection.is_open:
                connection.close()


@pytest.fixture(autouse=True)
def _drop_schema_cache():
    from servicekit.events import schemas

    schemas.clear_cache()
    yield


class Tap:
    """A queue bound to every routing key of the run's exchange: what reached the broker."""

    def __init__(self, channel: Any, conf: Any) -> None:
        from servicekit.events.topology import declare_exchange

        self.channel = channel
        self.name = f"{conf.exchange}.tap.{uuid.uuid4().hex[:6]}"
        declare_exchange(channel, conf)
        channel.queue_declare(self.name, exclusive=True, auto_delete=True)
        channel.queue_bind(self.name, conf.exchange, routing_key="#")
        self.messages: list[tuple[Any, bytes]] = []
        channel.basic_consume(
            self.name,
            lambda _ch, _method, properties, body: self.messages.append((properties, body)),
            auto_ack=True,
        )

    def collect(self, count: int, timeout: float = 10.0) -> list[tuple[Any, bytes]]:
        """Wait until at least ``count`` messages arrived in total (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            self.channel.connection.process_data_events(time_limit=0.1)
        return self.messages

    def pump(self, seconds: float = 0.05) -> list[tuple[Any, bytes]]:
        """Take whatever arrives within ``seconds``."""
        self.channel.connection.process_data_events(time_limit=seconds)
        return self.messages

    def settle(self, quiet_seconds: float = 0.5) -> list[tuple[Any, bytes]]:
        """Take everything until nothing more arrives for ``quiet_seconds``."""
        seen, last = -1, time.monotonic()
        while time.monotonic() - last < quiet_seconds:
            self.channel.connection.process_data_events(time_limit=0.1)
            if len(self.messages) != seen:
                seen, last = len(self.messages), time.monotonic()
        return self.messages

    def wait_for(self, ids: set[str], timeout: float = 30.0) -> list[tuple[Any, bytes]]:
        """Take messages until every one of ``ids`` was seen (or ``timeout``), then settle.

        The tap is only drained between steps; on a busy machine its backlog can lag the
        service's consumer by more than a fixed quiet period."""
        deadline = time.monotonic() + timeout
        while not ids <= set(self.event_ids()) and time.monotonic() < deadline:
            self.channel.connection.process_data_events(time_limit=0.1)
        return self.settle()

    def event_ids(self) -> list[str]:
        return [properties.message_id for properties, _ in self.messages]


@pytest.fixture
def tap(amqp, conf) -> Iterator[Tap]:
    tap = Tap(amqp(), conf)
    yield tap
    tap.channel.queue_delete(tap.name)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy(("127.0.0.1", 5672), name="broker").start()
    yield proxy
    proxy.stop()


class Processes:
    """Relays and consumers as real processes (``manage.py`` commands of the test service)."""

    def __init__(self, log_dir: Path, database_name: str) -> None:
        self.log_dir = log_dir
        self.database_name = database_name
        self.started: list[subprocess.Popen] = []

    def start(
        self, command: str, *, broker_url: str | None = None, argv: list[str] | None = None, **env: str
    ) -> subprocess.Popen:
        """``manage.py <command>`` (or ``argv``, a program of its own) against the test database."""
        environment = {
            **os.environ,
            "PYTHONPATH": str(SHARED_LIB),
            "DJANGO_SETTINGS_MODULE": "tests.django_settings",
            "DJANGO_ENV": "test",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.database_name}",
            "LOG_FORMAT": "console",
            "LOG_LEVEL": "INFO",
            **env,
        }
        if broker_url:
            environment["BROKER_URL"] = broker_url
        log = self.log_dir / f"{command}-{len(self.started)}.log"
        process = subprocess.Popen(
            argv or [sys.executable, "-m", "django", command],
            cwd=SHARED_LIB,
            env=environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        process.log_path = log  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def wait_for_log(
        self, process: subprocess.Popen, text: str, timeout: float = 20.0, occurrences: int = 1
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log(process).count(text) >= occurrences:
                return
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged within {timeout}s; log:\n{self.log(process)[-3000:]}")

    @staticmethod
    def log(process: subprocess.Popen) -> str:
        return Path(process.log_path).read_text(errors="replace")  # type: ignore[attr-defined]

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    @staticmethod
    def stop(process: subprocess.Popen, timeout: float = 15.0) -> int:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process)


@pytest.fixture
def processes(tmp_path, transactional_db, amqp, conf) -> Iterator[Processes]:
    from django.db import connection

    from servicekit.events.topology import service_queue_names

    # Start clean: an earlier (failed or interrupted) test may have left rows or messages.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE event_outbox, event_inbox, testapp_effect, testapp_switch")
    for queue in service_queue_names(conf):
        with contextlib.suppress(pika.exceptions.ChannelClosedByBroker):  # not declared yet
            amqp().queue_purge(queue)
    running = Processes(tmp_path, connection.settings_dict["NAME"])
    yield running
    running.stop_all()


def publish_things(
    count: int, *, start: int = 0, subjects: int = 50, per_transaction: int = 100, **extra: Any
):
    """Commit ``count`` testsvc.thing.happened events; returns their ids in order."""
    from django.db import transaction

    from servicekit.events import publish

    ids = []
    for first in range(start, start + count, per_transaction):
        with transaction.atomic():
            for n in range(first, min(first + per_transaction, start + count)):
                ids.append(publish("testsvc.thing.happened", f"thing-{n % subjects}", {"n": n, **extra}).id)
    return ids


def effects() -> dict[str, int]:
    from tests.testapp.models import Effect

    return {str(event_id): count for event_id, count in Effect.objects.values_list("event_id", "count")}


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """servicekit's ``poll``: the predicate's last value, for the test's own assertion message."""
    return poll(predicate, timeout=timeout, interval=interval)
