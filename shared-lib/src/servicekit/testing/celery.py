"""A broker that is down, for tests of what a service does when its tasks cannot be sent::

    with broker_down(app):
        response = client.post(...)      # its task's send_on_commit finds the broker refusing
    assert sweep() == 1                  # the broker is back (eager again): the sweep sends it

The app's broker address is a real closed port on 127.0.0.1 (bound, then released: nothing
listens there), so a publish meets a refused connection exactly as with RabbitMQ stopped.
Tasks are not eager inside the block (they really go to the broker), the publish retries once
and the connect times out after a second, so the test does not wait for kombu's retries.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fresh_pools(app: Any) -> None:
    # Made again for the address in use: kombu keeps each address's connections in its own pool.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_down(app: Any) -> Iterator[str]:
    """Point ``app`` (a Celery app) at a closed port until the block ends; yields that URL."""
    conf = app.conf
    names = (
        "broker_url",
        "task_publish_retry_policy",
        "broker_connection_timeout",
        "task_always_eager",
    )
    saved = {name: getattr(conf, name) for name in names}
    url = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    _fresh_pools(app)
    conf.broker_url = url
    conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}
    conf.broker_connection_timeout = 1
    conf.task_always_eager = False
    try:
        yield url
    finally:
        _fresh_pools(app)
        for name, value in saved.items():
            setattr(conf, name, value)
