"""`make run` as users run it: the Procfile under honcho, every service and process type,
the gateway in front; Ctrl-C (SIGINT to honcho) stops all of it."""

import os
import signal
import socket
import time
from pathlib import Path

import requests

from tests.harness import SERVICES, Platform


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


def test_the_procfile_runs_the_whole_platform_and_ctrl_c_stops_it():
    platform = Platform(runner="procfile")
    try:
        platform.start()  # waits until /health/<service>/ answers 200 for all six

        for service in SERVICES:
            health = requests.get(platform.url(f"/health/{service}/"), timeout=5)
            assert health.status_code == 200, health.text
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

        log = platform.log("honcho")
        for service in SERVICES:
            for process in ("worker", "consumer", "relay"):
                assert f"{service}-{process}" in log, f"{service}-{process} never started:\n{log[-3000:]}"

        honcho = platform.children["honcho"]
        os.killpg(honcho.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert honcho.wait(timeout=30) is not None
        # Each process ended by its own clean shutdown, none by honcho's SIGKILL 5 s later.
        log = platform.log("honcho")
        assert "sending SIGKILL" not in log, f"a process outlived honcho's grace period:\n{log[-3000:]}"
        deadline = time.monotonic() + 10
        ports = [platform.gateway_port, *platform.ports.values()]
        while any(_listening(port) for port in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [port for port in ports if _listening(port)], "processes outlived Ctrl-C"
        assert not [path for path in sockets.values() if path.exists()], "sockets outlived Ctrl-C"
    finally:
        platform.stop()
