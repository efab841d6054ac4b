"""Readiness checks talk to the real Postgres, RabbitMQ and Redis, with short timeouts."""

import time

import pytest

from servicekit import health

pytestmark = pytest.mark.django_db


def test_all_checks_up_against_real_servers():
    results = health.run_checks(timeout=2)
    assert {name: r["status"] for name, r in results.items()} == {
        "database": "up",
        "broker": "up",
        "cache": "up",
    }


def test_cache_down_is_reported_quickly(client, settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["details"]["down"] == ["cache"]
    assert body["error"]["details"]["checks"]["database"]["status"] == "up"


def test_unresponsive_broker_times_out(client, settings):
    # 10.255.255.1 would leave the machine; a listening socket that never answers stays local.
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        settings.SERVICEKIT = {
            **settings.SERVICEKIT,
            "BROKER_URL": f"amqp://127.0.0.1:{port}/",
            "HEALTH_TIMEOUT_SECONDS": 0.5,
        }
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 2.5
        assert response.status_code == 503
        assert response.json()["error"]["details"]["down"] == ["broker"]
    finally:
        server.close()


# --- the database down or hung -------------------------------------------------------------


@pytest.fixture
def database_at(monkeypatch):
    """Point connections the readiness checks open (in their own threads) at another port.

    The checks' threads build their connections from ``connections.settings``, the dicts
    this test's own (already open) connection was made from; restored afterwards.
    """
    from django.db import connections

    def point(port: int) -> None:
        monkeypatch.setitem(connections.settings["default"], "HOST", "127.0.0.1")
        monkeypatch.setitem(connections.settings["default"], "PORT", str(port))

    return point


def _ready_with_database_down(client, settings, timeout: float):
    settings.SERVICEKIT = {**settings.SERVICEKIT, "HEALTH_TIMEOUT_SECONDS": timeout}
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.content
    details = response.json()["error"]["details"]
    assert details["down"] == ["database"]
    assert details["checks"]["database"]["status"] == "down"
    assert details["checks"]["broker"]["status"] == "up"
    assert details["checks"]["cache"]["status"] == "up"
    return elapsed, details["checks"]["database"]["error"]


def test_database_refusing_connections_is_not_ready(client, settings, database_at):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database_at(port)
    elapsed, error = _ready_with_database_down(client, settings, timeout=1.0)
    assert elapsed < 2
    assert "OperationalError" in error


def test_hung_database_is_not_ready_within_the_timeout(client, settings, database_at):
    from servicekit.testing.tcp_proxy import TcpProxy

    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    proxy.blackhole()  # accepts the connection, then never answers
    try:
        database_at(proxy.port)
        elapsed, error = _ready_with_database_down(client, settings, timeout=0.5)
        assert elapsed < 2.5  # the check's own timeout plus the pool's grace, not connect_timeout
        assert "no answer within" in error
        assert proxy.connections_accepted == 1
    finally:
        proxy.stop()  # the check's thread gets its error now and is free for the next test


def test_a_hung_database_frees_the_check_thread_by_the_check_timeout(settings, database_at, monkeypatch):
    """The check opens its own connection bounded by the probe's timeout, not the service's
    DB_CONNECT_TIMEOUT, so hung probes cannot pile up in the small check pool."""
    from django.db import connections

    from servicekit.health import check_database
    from servicekit.testing.tcp_proxy import TcpProxy

    options = {**connections.settings["default"].get("OPTIONS", {}), "connect_timeout": 30}
    monkeypatch.setitem(connections.settings["default"], "OPTIONS", options)
    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    proxy.blackhole()
    try:
        database_at(proxy.port)
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 (libpq's timeout error, whatever its class)
            check_database(0.5)
        assert time.monotonic() - started < 5  # libpq rounds connect_timeout up to 2 s
    finally:
        proxy.stop()
