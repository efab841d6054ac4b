"""servicekit.celery: reliable configuration, Celery's enqueue-after-commit, and a real worker
on a quorum queue (results in Redis, countdown, a worker killed mid-task)."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pika
import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from servicekit.celery import Task
from tests.celery_app import app
from tests.testapp import tasks

SHARED_LIB = Path(__file__).resolve().parents[1]


def test_configuration_is_the_reliable_one():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_heartbeat == 30
    assert conf.broker_transport_options == {"confirm_publish": True}
    assert conf.task_default_queue_type == "quorum"
    assert conf.task_default_exchange_type == "topic"
    assert conf.worker_detect_quorum_queues is True
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.result_backend.startswith("redis://")
    assert conf.broker_url.startswith("amqp://")
    assert isinstance(tasks.add, Task)


def test_delay_on_commit_waits_for_the_commit(monkeypatch, django_capture_on_commit_callbacks, db, not_eager):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        tasks.add.delay_on_commit(2, 3)
        assert sent == []  # nothing is sent before the commit
    assert len(callbacks) == 1 and len(sent) == 1


def test_delay_inside_a_transaction_sends_at_once(monkeypatch, db, not_eager):
    """No silent deferral: ``delay`` means now, and returns the task's result handle."""
    sent = []
    monkeypatch.setattr(app, "send_task", lambda *a, **k: sent.append(a) or "async-result")
    with transaction.atomic():
        assert tasks.add.delay(2, 3) == "async-result"
        assert len(sent) == 1


def test_rolled_back_transactions_enqueue_nothing_on_commit(monkeypatch, db, not_eager):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda *a, **k: sent.append(a))
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.add.delay_on_commit(2, 3)
        raise RuntimeError("rolled back")
    assert sent == []


@pytest.fixture
def not_eager():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def test_publishing_waits_for_a_confirm_with_a_timeout(monkeypatch, not_eager):
    seen = {}

    def fake_send_task(name, args=None, kwargs=None, **options):
        seen.update(options)

    monkeypatch.setattr(app, "send_task", fake_send_task)
    tasks.add.delay(1, 2)
    assert seen["confirm_timeout"] == 5.0


@pytest.mark.parametrize(("asked", "sent"), [(0.5, 1), (0.01, 1), (2.2, 3), (3, 3), (0, 0), (None, None)])
def test_a_countdown_is_rounded_up_to_whole_seconds(monkeypatch, not_eager, asked, sent):
    seen = {}
    monkeypatch.setattr(
        app, "send_task", lambda name, args=None, kwargs=None, **options: seen.update(options)
    )

    tasks.add.apply_async((1, 2), countdown=asked)

    assert seen["countdown"] == sent


@pytest.fixture
def worker(tmp_path, not_eager):
    started = []

    def start(*options: str, **env: str):
        log = tmp_path / f"worker-{len(started)}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                *options,
                "-A",
                "tests.celery_app",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=SHARED_LIB,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
        process.log = log
        started.append(process)
        deadline = time.monotonic() + 90
        while "ready." not in log.read_text(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
    connection = pika.BlockingConnection(pika.URLParameters(app.conf.broker_url))
    channel = connection.channel()
    queue = app.conf.task_default_queue
    channel.queue_delete(queue)
    channel.exchange_delete(queue)
    connection.close()


def test_a_real_worker_runs_tasks_from_its_quorum_queue_with_results_in_redis(worker, amqp_channel):
    worker()
    assert tasks.add.delay(2, 3).get(timeout=60) == 5
    delayed = tasks.add.apply_async((20, 22), countdown=1)  # RabbitMQ-native delayed delivery
    assert delayed.get(timeout=60) == 42
    assert tasks.add.apply_async((1, 1), countdown=0.3).get(timeout=60) == 2  # under a second

    queue = app.conf.task_default_queue
    # Declaring it again as a quorum queue succeeds only because it is one.
    amqp_channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})


def test_a_task_whose_worker_is_killed_runs_again_on_another(worker):
    key = f"test-celery-{uuid.uuid4().hex}"
    first = worker()
    result = tasks.record_start_then_sleep.delay(key, 3)
    deadline = time.monotonic() + 60
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    while client.llen(key) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # acks late: the message was not acknowledged
    first.wait()
    worker()
    assert result.get(timeout=90) == 2  # started twice, finished once
    client.delete(key)


def test_a_task_whose_database_is_away_runs_again_until_it_is_back(worker):
    """RETRY_WHILE_DATABASE_AWAY: for a task that is its work's only record, a database that
    cannot be reached means "later" (1, 2 … s), never a failure that acknowledges it away."""
    import redis
    from django.conf import settings

    key = f"test-celery-{uuid.uuid4().hex}"
    worker()
    result = tasks.fail_with_database_away.delay(key, 2)
    assert result.get(timeout=90) == 3  # failed twice, then ran
    redis.Redis.from_url(settings.CACHES["default"]["LOCATION"]).delete(key)


def test_a_retry_the_broker_cannot_take_requeues_the_message_instead_of_dropping_it(broker_down):
    """Celery answers a retry it cannot publish with Reject(requeue=False): with the broker
    down the task would be gone. servicekit's Task requeues it (it runs again when it is back)."""
    from celery.exceptions import Reject
    from django.db import OperationalError as DatabaseAway

    task = tasks.fail_with_database_away
    task.push_request(
        id=str(uuid.uuid4()),
        called_directly=False,
        retries=0,
        is_eager=False,
        delivery_info={},
        args=(),
        kwargs={},
    )
    try:
        with pytest.raises(Reject) as rejected:
            task.retry(args=("k", 1), exc=DatabaseAway("away"), countdown=1)
    finally:
        task.pop_request()
    assert rejected.value.requeue is True
    assert isinstance(rejected.value.reason, OperationalError)


@pytest.fixture
def amqp_channel():
    connection = pika.BlockingConnection(pika.URLParameters(app.conf.broker_url))
    yield connection.channel()
    connection.close()


@pytest.fixture
def broker_down():
    """The test app's broker address refuses connections (nothing listens there) until the end."""
    from servicekit.testing.celery import broker_down

    with broker_down(app):
        yield


def test_send_on_commit_survives_a_broker_that_is_down(
    broker_down, django_capture_on_commit_callbacks, db, caplog
):
    """The committed request must not turn into a 500 because its task could not be sent:
    the row is there, and a sweep sends its task again."""
    from servicekit.celery import send_on_commit, send_task

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        send_on_commit(tasks.add, 2, 3)
    assert len(callbacks) == 1  # ran at the commit, and raised nothing
    assert "task tests.testapp.tasks.add(2, 3) not sent, the broker is unavailable" in caplog.text
    assert send_task(tasks.add, 4, 5) is False
    with pytest.raises(OperationalError):  # what delay_on_commit's callback raised at the commit
        tasks.add.delay(6, 7)


def test_send_task_sends_when_the_broker_is_up(monkeypatch, not_eager):
    from servicekit.celery import send_task

    sent = []
    monkeypatch.setattr(app, "send_task", lambda *a, **k: sent.append(a))
    assert send_task(tasks.add, 2, 3) is True
    assert sent and sent[0][1] == (2, 3)


def test_send_again_sends_each_row_up_to_the_limit_and_says_how_many(monkeypatch, not_eager, caplog):
    from servicekit.celery import send_again

    sent = []
    monkeypatch.setattr(app, "send_task", lambda *a, **k: sent.append(a))
    assert send_again(tasks.echo, iter([1, 2, 3]), rows="test rows", limit=2) == 2
    assert [call[1] for call in sent] == [("1",), ("2",)]
    assert "sent the tasks of 2 test rows again (their tasks were lost)" in caplog.text


def test_send_again_counts_only_what_the_broker_took(broker_down, caplog):
    from servicekit.celery import send_again

    assert send_again(tasks.echo, [1, 2], rows="test rows") == 0
    assert "test rows" not in caplog.text


def test_a_worker_runs_its_beat_in_a_thread_and_logs_only_json_lines(worker, tmp_path):
    """make run: CELERY_EMBED_BEAT=1 schedules from inside the (solo) worker, no extra process;
    with --quiet and LOG_FORMAT=json even Celery's banners are JSON lines."""
    schedule = tmp_path / "beat-schedule"
    process = worker(
        "--quiet",
        CELERY_EMBED_BEAT="1",
        LOG_FORMAT="json",
        TEST_BEAT_EVERY_SECONDS="1",
        CELERY_BEAT_SCHEDULE_FILENAME=str(schedule),
    )
    deadline = time.monotonic() + 60
    while process.log.read_text().count("Task tests.testapp.tasks.add") < 2:
        assert process.poll() is None and time.monotonic() < deadline, process.log.read_text()[-3000:]
        time.sleep(0.2)
    assert _children(process.pid) == [], "beat runs in a thread, not a forked process"
    assert list(tmp_path.glob("beat-schedule*")), "the schedule file is the configured one"
    process.send_signal(signal.SIGTERM)  # Celery's shutdown notice is a JSON line too
    assert process.wait(timeout=30) == 0
    lines = [json.loads(line) for line in process.log.read_text().splitlines() if line.strip()]
    messages = [line["message"] for line in lines]
    assert "worker: Warm shutdown (MainProcess)" in messages
    assert any(m.startswith("celery worker") and "starting" in m for m in messages)
    beat = next(line for line in lines if line["message"] == "celery beat starting")
    assert beat["schedule_file"] == str(schedule) and beat["entries"] == ["add-every-second"]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_broker_down_refuses_publishing_until_the_block_ends():
    from servicekit.testing.celery import broker_down

    before = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_timeout)
    with broker_down(app) as url:
        assert app.conf.broker_url == url != before[0]
        assert app.conf.task_always_eager is False
        with pytest.raises(OperationalError):
            tasks.add.delay(1, 2)
    assert (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_connection_timeout) == before
