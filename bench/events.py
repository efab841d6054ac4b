#!/usr/bin/env python3
"""Benchmark of the event path (prints figures; asserts nothing).

On the same broker, queue type (quorum) and message size, measures:

1. the raw ceiling: pika publishing with pipelined publisher confirms (a window of 256
   in flight), then consuming with prefetch 100 and a manual ack per message;
2. the end-to-end path: events committed to an outbox → relay (``relay_events``) →
   consumer (``consume_events``, inbox row + a trivial handler), both real processes;
3. commit → handler latency (p50/p99) at steady moderate rates, one event per commit.

Uses a throwaway database (``bench_events``) and throwaway exchange/queue names, and
removes them at the end.  ``python bench/events.py [--events 20000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RUN = uuid.uuid4().hex[:6]
DATABASE = "bench_events"
ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "events_support.settings",
        "SERVICE_NAME": "bench",
        "DJANGO_ENV": "development",
        "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}",
        "DB_SCHEMA": "bench",
        "CONTRACTS_DIR": str(BENCH / "events_support" / "contracts"),
        "EVENTS_EXCHANGE": f"bench-{RUN}.events",
        "EVENTS_QUEUE": f"bench-{RUN}.bench.events",
        "EVENTS_HANDLERS_MODULE": "events_support.handlers",
        "LOG_FORMAT": "console",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(BENCH),
    }
)
sys.path.insert(0, str(BENCH))


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def sample_body(padding: int) -> bytes:
    from servicekit.events import Event

    event = Event.new(
        "bench.thing.happened",
        "thing-1",
        {"n": 1, "padding": "x" * padding},
        producer="bench",
        correlation_id=uuid.uuid4().hex,
    )
    return event.to_json().encode()


# --- 1. the raw ceiling --------------------------------------------------------------------


def raw_ceiling(url: str, body: bytes, count: int, window: int = 256) -> tuple[float, float]:
    """Seconds to publish ``count`` messages with pipelined confirms, then to consume them."""
    import pika
    from events_support.pipelined import publish_pipelined

    exchange, queue = f"bench-{RUN}.raw", f"bench-{RUN}.raw"
    setup = pika.BlockingConnection(pika.URLParameters(url))
    channel = setup.channel()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(queue, exchange, routing_key="bench.#")

    publish_seconds = publish_pipelined(url, exchange, "bench.thing.happened", body, count, window=window)

    consumed = {"n": 0}

    def on_message(ch, method, _properties, _body):
        ch.basic_ack(method.delivery_tag)
        consumed["n"] += 1
        if consumed["n"] >= count:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=100)
    channel.basic_consume(queue, on_message)
    started = time.perf_counter()
    channel.start_consuming()
    consume_seconds = time.perf_counter() - started
    channel.queue_delete(queue)
    channel.exchange_delete(exchange)
    setup.close()
    return publish_seconds, consume_seconds


# --- 2./3. the end-to-end path ---------------------------------------------------------------


class Process:
    def __init__(self, command: str, log_dir: Path) -> None:
        self.log = log_dir / f"{command}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", command],
            cwd=BENCH,
            env=os.environ.copy(),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"{self.log.name}: {text!r} not seen\n{self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def inbox_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event_inbox")
        return cursor.fetchone()[0]


def wait_for_inbox(total: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while True:
        if inbox_count() >= total:
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise SystemExit(f"only {inbox_count()} of {total} events handled within {timeout}s")
        time.sleep(0.01)


def commit_batch(count: int, padding: int, start: int = 0) -> None:
    from django.db import transaction

    from servicekit.events import publish

    with transaction.atomic():
        for n in range(start, start + count):
            publish("bench.thing.happened", f"thing-{n % 1000}", {"n": n, "padding": "x" * padding})


def steady_latency(rate: float, seconds: float, padding: int, start: int) -> tuple[list[float], list[float]]:
    """Commit one event per transaction at ``rate``/s; returns, per event, commit → handler
    seconds and commit → confirmed by the broker (marked sent by the relay) seconds."""
    from django.db import connection, transaction

    from servicekit.events import publish

    committed: dict[str, float] = {}
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for n in range(start, start + int(rate * seconds)):
        next_at += interval
        with transaction.atomic():
            event = publish("bench.thing.happened", f"thing-{n % 1000}", {"n": n, "padding": "x" * padding})
        committed[event.id] = time.time()
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    time.sleep(0.5)
    wait_for_inbox(start + len(committed), 60)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id::text, extract(epoch FROM handled_at) FROM event_inbox WHERE event_id = ANY(%s::uuid[])",
            [list(committed)],
        )
        handled = [float(at) - committed[event_id] for event_id, at in cursor.fetchall()]
        cursor.execute(
            "SELECT event_id::text, extract(epoch FROM sent_at) FROM event_outbox WHERE event_id = ANY(%s::uuid[])",
            [list(committed)],
        )
        sent = [float(at) - committed[event_id] for event_id, at in cursor.fetchall()]
    return handled, sent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each throughput figure (best is kept)")
    parser.add_argument("--padding", type=int, default=100, help="payload padding (message size)")
    args = parser.parse_args()

    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command

    from servicekit.events.conf import events_conf

    call_command("migrate", verbosity=0)
    conf = events_conf()
    body = sample_body(args.padding)
    log_dir = Path(f"/tmp/bench-events-{RUN}")
    log_dir.mkdir()
    print(
        f"events benchmark: {args.events} messages of {len(body)} bytes, quorum queues, {os.cpu_count()} CPUs"
    )

    print(
        f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared: best of {args.repeat} runs)"
    )

    raw_runs = [raw_ceiling(conf.broker_url, body, args.events) for _ in range(args.repeat)]
    publish_s = min(run[0] for run in raw_runs)
    consume_s = min(run[1] for run in raw_runs)
    raw = max(args.events / (p + c) for p, c in raw_runs)
    print(f"raw pika: publish with confirms (window 256) {args.events / publish_s:8.0f} msg/s")
    print(f"raw pika: consume, prefetch 100, manual acks {args.events / consume_s:8.0f} msg/s")
    print(
        f"raw ceiling (publish then consume)           {raw:8.0f} msg/s   "
        f"runs: {', '.join(f'{args.events / (p + c):.0f}' for p, c in raw_runs)}"
    )

    processes = [Process("consume_events", log_dir), Process("relay_events", log_dir)]
    try:
        processes[0].wait_for("connected to the broker")
        processes[1].wait_for("with publisher confirms")
        commit_batch(1000, args.padding)  # warm-up
        total = 1000
        wait_for_inbox(total, 60)

        runs = []
        for _ in range(args.repeat):
            commit_batch(args.events, args.padding, start=total)  # built inside one transaction...
            committed = time.perf_counter()  # ...and committed here: the clock starts
            total += args.events
            handled = wait_for_inbox(total, 300)
            runs.append(args.events / (handled - committed))
        end_to_end = max(runs)
        print(
            f"end to end: outbox → relay → consumer+inbox {end_to_end:8.0f} events/s   "
            f"runs: {', '.join(f'{run:.0f}' for run in runs)}"
        )
        print(f"end to end / raw ceiling                     {end_to_end / raw:8.0%}")

        start = total
        for rate in (200, 1000):
            latencies, relayed = steady_latency(rate, 10, args.padding, start)
            start += len(latencies)
            print(
                f"latency commit → handler at {rate:4d} events/s (one per commit, {len(latencies)} events): "
                f"p50 {percentile(latencies, 0.5) * 1000:5.1f} ms  p99 {percentile(latencies, 0.99) * 1000:5.1f} ms  "
                f"max {max(latencies) * 1000:5.1f} ms  mean {statistics.mean(latencies) * 1000:5.1f} ms"
            )
            print(
                f"   of which commit → confirmed by the broker: p50 {percentile(relayed, 0.5) * 1000:5.1f} ms  "
                f"p99 {percentile(relayed, 0.99) * 1000:5.1f} ms"
            )
    finally:
        for process in processes:
            process.stop()
        import pika

        from servicekit.events.topology import delete_topology

        connection = pika.BlockingConnection(pika.URLParameters(conf.broker_url))
        delete_topology(connection.channel(), conf)
        connection.close()
        from django.db import connections

        connections.close_all()
        drop_database()
    print(f"load average after: {os.getloadavg()[0]:.2f}   (process logs: {log_dir})")


if __name__ == "__main__":
    main()
