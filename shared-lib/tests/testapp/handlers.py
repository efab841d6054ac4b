"""The test service's registry: a handler whose every run is counted in ``Effect``."""

import time
from pathlib import Path

from django.db import connection, transaction

from servicekit.events import BUILTIN_HANDLERS, Event, publish, subscribe
from tests.testapp.models import Effect, Switch


class PoisonError(RuntimeError):
    pass


def record_effect(event: Event) -> None:
    data = event.data
    if data.get("sleep_ms"):
        time.sleep(data["sleep_ms"] / 1000)
    table = connection.ops.quote_name(Effect._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, subject, n, count, handled_at) VALUES (%s, %s, %s, 1, now()) "
            f"ON CONFLICT (event_id) DO UPDATE SET count = {table}.count + 1",
            [event.id, event.subject, data["n"]],
        )
    if data.get("fail") and not Switch.objects.filter(name="fixed", is_on=True).exists():
        raise PoisonError(f"thing {data['n']} is poison")
    if data.get("chain"):
        publish("testsvc.thing.chained", event.subject, {"n": data["n"]})
    if data.get("pause_after_commit"):
        transaction.on_commit(lambda: pause_after_commit(data["pause_after_commit"]))


def pause_after_commit(path: str, timeout: float = 60.0) -> None:
    """Runs once the handler's transaction committed, before the consumer acknowledges the
    batch: announce it (``<path>.paused``) and wait for ``<path>.resume``, so a fault test can
    kill the consumer exactly between the commit and the ack."""
    Path(f"{path}.paused").write_text(str(time.time()))
    deadline = time.monotonic() + timeout
    while not Path(f"{path}.resume").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


HANDLERS = [
    *BUILTIN_HANDLERS,
    subscribe(
        "testsvc.thing.happened",
        record_effect,
        reads=["n", "fail?", "chain?", "sleep_ms?", "pause_after_commit?"],
        name="testapp.record_effect",
    ),
]
