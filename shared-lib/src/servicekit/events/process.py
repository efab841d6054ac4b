"""Running a long-lived event process: stop cleanly, and at once, on SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import os
import select
import signal


class StopFlag:
    """A stop request that blocking waits can watch alongside their own sockets.

    ``set()`` marks a byte in a pipe that nobody reads, so ``fileno()`` stays readable from
    then on: a process idle in ``select`` on a database or broker socket wakes as soon as it is
    asked to stop, instead of after its poll interval. No locks, unlike ``threading.Event``:
    ``set()`` is safe from a signal handler that interrupts the very thread waiting on it.
    """

    def __init__(self) -> None:
        self._flag = False
        self._read_end, self._write_end = os.pipe()
        os.set_blocking(self._write_end, False)

    def set(self) -> None:
        self._flag = True
        with contextlib.suppress(BlockingIOError):  # the pipe is full: it is readable already
            os.write(self._write_end, b"\0")

    def is_set(self) -> bool:
        return self._flag

    def fileno(self) -> int:
        return self._read_end

    def wait(self, timeout: float | None = None) -> bool:
        """Like ``threading.Event.wait``: True once set, False if ``timeout`` passed first."""
        if not self._flag:
            select.select([self._read_end], [], [], timeout)
        return self._flag

    def close(self) -> None:
        for end in (self._read_end, self._write_end):
            with contextlib.suppress(OSError):
                os.close(end)

    def __enter__(self) -> StopFlag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stop_on_signals() -> StopFlag:
    stop = StopFlag()

    def request_stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


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
    import logging
    import threading

    from servicekit.events.consumer import Consumer
    from servicekit.events.relay import Relay

    logger = logging.getLogger("servicekit.events.process")
    failures: list[str] = []

    def run(name: str, loop) -> None:
        from django.db import connections

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
