"""`make run` as users run it: its launcher (scripts/run.py) with its development sizes, every
service and the gateway in front; a registration and a checkout through it; every line it
writes is one JSON object, and one request id leads from the gateway's access line through
orders, the event and catalog's handler, and back; Ctrl-C (SIGINT) stops all of it."""

import json
import os
import signal
import socket
import time
import uuid
from pathlib import Path

import requests

from tests.e2e.shopping import (
    ADDRESS,
    add_to_cart_when_known,
    create_admin,
    new_customer,
    new_product,
    wait_for,
)
from tests.harness import SERVICES, Platform

# What make run starts per service (scripts/run.py): web, and a worker with its beat, consumer
# and relay in threads; catalog (no Celery tasks) an events process instead; analytics' ingester.
EXPECTED_PROCESSES = [
    *(f"{service}-web" for service in SERVICES),
    *(f"{service}-worker" for service in SERVICES if service != "catalog"),
    "catalog-events",
    "analytics-ingester",
    "gateway",
]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _listen_addresses(port: int) -> set[str]:
    """Local addresses with a listening IPv4 socket on ``port`` (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _entries(text: str) -> list[dict]:
    """Every line as a JSON object; fails on the first line that is not one."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line[:500]!r}") from None
        assert isinstance(entry, dict), f"line {number} is not an object: {line[:500]!r}"
        entries.append(entry)
    return entries


def _checkout_traced(platform, request_id: str) -> str:
    """A registration and a checkout, the checkout's request under ``request_id``; returns the order id."""
    admin = create_admin(platform)
    category = admin.post(
        "/api/v1/catalog/categories/", {"name": f"Run {uuid.uuid4().hex[:6]}", "parent": None}
    )
    assert category.status_code == 201, category.text
    product = new_product(admin, category.json()["data"]["id"], stock=3)
    customer = new_customer(platform)  # a registration
    add_to_cart_when_known(customer, product["id"])
    # An error answer, for the access lines' error code.
    refused = customer.post("/api/v1/orders/", {}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert refused.status_code == 400, refused.text
    placed = customer.post(
        "/api/v1/orders/",
        {"shipping_address": ADDRESS},
        headers={"Idempotency-Key": str(uuid.uuid4()), "X-Request-ID": request_id},
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["data"]["id"]

    def confirmed():
        return customer.get(f"/api/v1/orders/{order_id}/").json()["data"]["status"] == "confirmed"

    wait_for(confirmed, timeout=60, interval=0.3)
    return refused.json()["error"]["code"]


def _ready(platform: Platform, service: str) -> requests.Response | None:
    answer = requests.get(platform.url(f"/health/{service}/"), timeout=5)
    return answer if answer.status_code == 200 else None


def test_make_run_serves_a_checkout_logs_json_lines_that_follow_a_request_and_stops_on_ctrl_c():
    platform = Platform(runner="make-run")
    try:
        platform.start()  # waits until /health/<service>/ answers 200 for all six

        for service in SERVICES:
            # Polled: on two busy cores one probe of the broker may time out right after start.
            health = wait_for(lambda service=service: _ready(platform, service), timeout=60)
            assert health.json()["data"]["status"] == "ready"
        docs = requests.get(platform.url("/api/docs"), timeout=5)
        assert docs.status_code == 200
        assert all(f"/api/schema/{service}/" in docs.text for service in SERVICES)
        # The web processes listen on loopback only: the gateway is the way in.
        for service in SERVICES:
            assert _listen_addresses(platform.ports[service]) == {"127.0.0.1"}, service
        # ... and over its unix socket, which the gateway proxies to natively.
        sockets = {service: platform.socket_dir / f"{service}.sock" for service in SERVICES}
        gateway_conf = (platform.workdir / "gateway" / "nginx.conf").read_text()
        for service, path in sockets.items():
            assert path.is_socket(), service
            assert f"server unix:{path};" in gateway_conf, service

        trace = f"trace-{uuid.uuid4().hex}"
        error_code = _checkout_traced(platform, trace)

        def traced() -> list[dict]:
            lines = [e for e in _entries(platform.log("run")) if e.get("request_id") == trace]
            handled = {
                (e["service"], e["event_type"].split(".")[0]) for e in lines if e.get("outcome") == "handled"
            }
            return lines if {("catalog", "orders"), ("orders", "catalog")} <= handled else []

        # The gateway's access line is flushed within a second (buffer=64k flush=1s).
        lines = wait_for(lambda: traced() and any(e.get("logger") == "nginx.access" for e in traced()), 30)
        lines = traced()
        gateway = [e for e in lines if e.get("logger") == "nginx.access"]
        assert [(e["method"], e["uri"], e["status"]) for e in gateway] == [("POST", "/api/v1/orders/", 201)]
        assert gateway[0]["process"] == "gateway" and gateway[0]["upstream"] == "orders"
        orders_access = [e for e in lines if e["service"] == "orders" and e["logger"] == "servicekit.access"]
        assert [(e["path"], e["status"]) for e in orders_access] == [("/api/v1/orders/", 201)]
        assert orders_access[0]["process"] == "orders-web"
        # catalog's handler took orders' event under the same id, and orders took catalog's answer.
        handled = [e for e in lines if e["logger"] == "servicekit.events.handled"]
        catalog_handled = [e for e in handled if e["service"] == "catalog"]
        assert catalog_handled and all(e["event_type"].startswith("orders.") for e in catalog_handled)
        assert catalog_handled[0]["process"] == "catalog-events"
        assert {"event_id", "handler", "outcome", "duration_ms"} <= set(catalog_handled[0])
        orders_handled = [
            e for e in handled if e["service"] == "orders" and e["event_type"].startswith("catalog.")
        ]
        assert orders_handled and orders_handled[0]["process"] == "orders-worker"

        # The refused checkout's access lines carry its error code, at the gateway and in orders.
        run = _entries(platform.log("run"))
        refusals = [e for e in run if e.get("error_code") == error_code and e.get("status") == 400]
        assert {e["logger"] for e in refusals} >= {"nginx.access", "servicekit.access"}, refusals

        # `make logs SERVICE=catalog` follows var/log/catalog.log: catalog's lines, and only those.
        catalog_log = _entries(platform.run_log("catalog"))
        assert catalog_log and {e["service"] for e in catalog_log} == {"catalog"}
        assert any(e.get("request_id") == trace for e in catalog_log)
        # Beat runs inside the worker, its schedule file in this run's var directory.
        assert list((platform.workdir / "var" / "celerybeat").glob("orders-schedule*"))
        started = {e["message"].split()[1] for e in run if e["message"].startswith("started ")}
        assert sorted(started) == sorted(EXPECTED_PROCESSES)

        launcher = platform.children["run"]
        os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert launcher.wait(timeout=30) == 0, platform.log("run")[-3000:]
        log = platform.log("run")
        assert "sending SIGKILL" not in log, f"a process outlived the launcher's grace period:\n{log[-3000:]}"
        deadline = time.monotonic() + 10
        ports = [platform.gateway_port, *platform.ports.values()]
        while any(_listening(port) for port in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [port for port in ports if _listening(port)], "processes outlived Ctrl-C"
        assert not [path for path in sockets.values() if path.exists()], "sockets outlived Ctrl-C"

        # Start-up, the registration and checkout, and the shutdown: every line one JSON object
        # (gunicorn, Celery's banners and beat, warnings, events, the ingester, nginx's both logs).
        everything = _entries(platform.log("run"))
        loggers = {e.get("logger") for e in everything}
        assert {"nginx.access", "servicekit.celery", "gunicorn.error", "servicekit.events.handled"} <= loggers
        assert any(e["message"] == "celery beat starting" for e in everything)
        assert all({"ts", "level", "service", "message"} <= set(e) for e in everything)
    finally:
        platform.stop()


def test_make_run_of_a_subset_runs_what_it_needs_and_the_gateway_answers_503_for_the_rest():
    """make run SERVICES="orders": identity and catalog come along; the others are left out."""
    with Platform(services=["orders"], runner="make-run") as platform:
        for service in ("identity", "catalog", "orders"):
            assert requests.get(platform.url(f"/health/{service}/"), timeout=5).status_code == 200, service
        for service in ("builds", "messaging", "analytics"):
            response = requests.get(platform.url(f"/health/{service}/"), timeout=5)
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["error"]["code"] == "upstream_unavailable"
            assert body["error"]["details"] == {"service": service}
            assert body["meta"]["request_id"] == response.headers["X-Request-ID"]
        run = _entries(platform.log("run"))
        started = {e["message"].split()[1] for e in run if e["message"].startswith("started ")}
        assert started == {
            "identity-web",
            "identity-worker",
            "catalog-web",
            "catalog-events",
            "orders-web",
            "orders-worker",
            "gateway",
        }
