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
