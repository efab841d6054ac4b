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
