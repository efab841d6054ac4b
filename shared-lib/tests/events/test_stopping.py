"""Event processes stop as soon as they are asked to: a SIGTERM ends an idle relay's wait on
``LISTEN`` at once instead of after its poll interval (process runners such as honcho or
Kubernetes kill what has not exited after a few seconds)."""

import os
import select
import signal
import threading
import time

import pytest

from servicekit.events.process import StopFlag, stop_on_signals

RELAY_READY = "with publisher confirms"
CONSUMER_READY = "connected to the broker (connection #"


def test_a_stop_flag_is_unset_until_set_then_readable_for_every_waiter():
    stop = StopFlag()
    try:
        assert not stop.is_set()
        assert stop.wait(0.05) is False
        assert select.select([stop], [], [], 0)[0] == []
        stop.set()
        stop.set()  # twice is fine
        assert stop.is_set() and stop.wait(0) is True
        assert select.select([stop], [], [], 0)[0] == [stop]
        assert select.select([stop], [], [], 0)[0] == [stop], "reading once must not consume it"
    finally:
        stop.close()


def test_a_signal_wakes_a_thread_blocked_on_the_flag_at_once():
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    stop = stop_on_signals()
    woke = threading.Event()

    def wait_long():
        stop.wait(60)
        woke.set()

    waiter = threading.Thread(target=wait_long, daemon=True)
    try:
        waiter.start()
        os.kill(os.getpid(), signal.SIGTERM)
        assert woke.wait(10), "a SIGTERM did not end a 60 s wait"
        assert stop.is_set()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("command", "ready", "stopped"),
    [("relay_events", RELAY_READY, "relay stopped"), ("consume_events", CONSUMER_READY, "consumer stopped")],
)
def test_an_idle_event_process_exits_cleanly_on_sigterm_without_waiting_out_its_poll(
    processes, command, ready, stopped
):
    # A 60 s poll: without the wake-up the relay would sit in its LISTEN wait for a minute.
    process = processes.start(command, EVENTS_RELAY_POLL_SECONDS="60")
    processes.wait_for_log(process, ready, timeout=30)
    time.sleep(0.5)  # let it settle into its idle wait
    process.send_signal(signal.SIGTERM)
    try:
        returncode = process.wait(timeout=15)
    except Exception:
        pytest.fail(f"{command} still running 15 s after SIGTERM; log:\n{processes.log(process)[-2000:]}")
    assert returncode == 0, processes.log(process)[-2000:]
    assert stopped in processes.log(process)


@pytest.mark.django_db(transaction=True)
def test_one_events_process_relays_and_consumes_then_stops_both_loops_on_sigterm(processes):
    """``run_events`` (make run's events process): the relay and the consumer in one process,
    each on its own connections; every committed event is published and handled exactly once."""
    from tests.events.conftest import effects, publish_things, wait_until

    process = processes.start("run_events", EVENTS_RELAY_POLL_SECONDS="60")
    processes.wait_for_log(process, RELAY_READY, timeout=30)
    processes.wait_for_log(process, CONSUMER_READY, timeout=30)
    ids = publish_things(40, subjects=5)
    assert wait_until(lambda: len(effects()) == len(ids), timeout=30), processes.log(process)[-3000:]
    assert set(effects().values()) == {1}
    # One line per handled (event, handler), naming its outcome.
    log = processes.log(process)
    assert sum(
        f"{event_id} " in line and ": handled in " in line for event_id in ids for line in log.splitlines()
    ) >= len(ids)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, processes.log(process)[-2000:]
    log = processes.log(process)
    assert "relay stopped" in log and "consumer stopped" in log


def test_the_events_process_exits_non_zero_when_one_loop_dies(monkeypatch):
    """One loop failing stops the other: never a process that relays but no longer consumes."""
    from servicekit.events import combined
    from servicekit.events.combined import run_consumer_and_relay

    stopped = []

    class BrokenRelay:
        def run(self, stop):
            raise RuntimeError("the relay broke")

    class WaitingConsumer:
        def run(self, stop):
            stop.wait()
            stopped.append("consumer")

    monkeypatch.setattr(combined, "Relay", BrokenRelay)
    monkeypatch.setattr(combined, "Consumer", WaitingConsumer)
    with StopFlag() as stop, pytest.raises(SystemExit, match="relay failed"):
        run_consumer_and_relay(stop)
    assert stopped == ["consumer"]


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_runs_the_consumer_and_relay_in_threads_and_stops_them_on_sigterm(processes):
    """make run's worker (CELERY_EMBED_EVENTS=1): no events process of its own, same guarantees."""
    import sys

    from tests.events.conftest import effects, publish_things, wait_until

    argv = [sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker", "--pool", "solo"]
    argv += ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]
    worker = processes.start(
        "celery-worker", argv=argv, CELERY_EMBED_EVENTS="1", EVENTS_RELAY_POLL_SECONDS="60"
    )
    processes.wait_for_log(worker, RELAY_READY, timeout=60)
    processes.wait_for_log(worker, CONSUMER_READY, timeout=60)
    ids = publish_things(20, subjects=4)
    assert wait_until(lambda: len(effects()) == len(ids), timeout=30), processes.log(worker)[-3000:]
    assert set(effects().values()) == {1}

    worker.send_signal(signal.SIGTERM)  # Celery's warm shutdown stops the loops too
    assert worker.wait(timeout=30) == 0, processes.log(worker)[-2000:]
    log = processes.log(worker)
    assert "relay stopped" in log and "consumer stopped" in log
