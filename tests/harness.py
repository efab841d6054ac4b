"""Start the whole platform for a test or a benchmark: real processes on free ports.

Each run gets its own database (one schema and role per service, made by the real
bootstrap script), its own RabbitMQ virtual host when `rabbitmqctl` is available, its
own Redis database number and its own signing key, so it never touches a platform a
developer is running with `make run`. Everything started is stopped by PID.

    with Platform(services=["identity", "catalog"]) as platform:
        requests.get(platform.url("/health/catalog/"))
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import requests

from scripts import db_bootstrap
from scripts import run as run_script
from tests.log_secrets import secrets_in_logs

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SERVICES = db_bootstrap.SERVICES
# Secrets found in the logs of every platform stopped in this process, and how many were
# scanned: tests/e2e/test_zz_logs_hold_no_secrets.py fails on any (docs/security.md).
SECRETS_FOUND_IN_LOGS: list[str] = []
PLATFORMS_SCANNED: list[str] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_cleanly_on_sigterm() -> None:
    """A SIGTERM (timeout, CI limits) unwinds like Ctrl-C, so ``stop()`` still runs."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _rabbitmqctl(*args: str) -> bool:
    if not shutil.which("rabbitmqctl"):
        return False
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=60)
    return result.returncode == 0


class Platform:
    def __init__(
        self,
        services: list[str] | None = None,
        processes: tuple[str, ...] = ("web", "consumer", "relay"),
        *,
        extra_processes: dict[str, tuple[str, ...]] | None = None,
        gunicorn_workers: int = 2,
        env: dict[str, str] | None = None,
        runner: str = "entrypoints",
        upstreams: str = "unix",
        broker_port: int = 5672,
        postgres_port: int | None = None,
    ) -> None:
        """``runner``: "entrypoints" starts each process itself; "make-run" runs ``make run``'s
        launcher (scripts/run.py) for ``services`` (with what they need) exactly as ``make run``
        does, its development defaults included; its output is ``log("run")`` and each
        service's ``run_log(service)`` (var/log/<service>.log in the workdir).
        ``upstreams``: "unix" (the gateway reaches each service over its unix socket, as in
        ``make run``) or "tcp" (over its port, as between containers). ``extra_processes`` adds
        process types to some services (``{"messaging": ("worker",)}``: its Celery tasks run).
        ``broker_port``/``postgres_port``: where the services reach RabbitMQ and Postgres on
        127.0.0.1 (a test's TCP proxy); the harness itself always talks to them directly.

        E-mail lands as ``.eml`` files in ``mail_dir``, and identity's e-mailed links lead to
        this platform's gateway."""
        assert upstreams in ("unix", "tcp"), upstreams
        self.services = services or list(SERVICES)
        self.processes = processes
        self.extra_processes = extra_processes or {}
        self.tag = uuid.uuid4().hex[:8]
        self.workdir = Path(tempfile.mkdtemp(prefix=f"platform-{self.tag}-"))
        self.database = f"platform_{self.tag}"
        self.vhost = f"platform_{self.tag}"
        self.ports = {name: free_port() for name in SERVICES}
        self.gateway_port = free_port()
        self.extra_env = env or {}
        self.gunicorn_workers = gunicorn_workers
        self.runner = runner
        self.upstreams = upstreams
        self.broker_port = broker_port
        self.postgres_port = postgres_port
        self.socket_dir = self.workdir / "run"
        self.mail_dir = self.workdir / "mail"
        self.children: dict[str, subprocess.Popen] = {}
        self.has_vhost = False

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Platform:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        _stop_cleanly_on_sigterm()
        assert db_bootstrap.main(["--admin-url", ADMIN_URL, "--database", self.database]) == 0
        self.has_vhost = _rabbitmqctl("add_vhost", self.vhost) and _rabbitmqctl(
            "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"
        )
        key_env = {"JWT_PRIVATE_KEY_FILE": str(self.workdir / "keys" / "jwt-signing.pem")}
        subprocess.run([PYTHON, ROOT / "scripts" / "dev_keys.py"], env={**os.environ, **key_env}, check=True)
        # make run brings along what the services need (scripts/run.py): migrate those too.
        for service in run_script.selected(self.services) if self.runner == "make-run" else self.services:
            self._run_to_end(service, "migrate")
        if self.runner == "make-run":
            self._spawn_launcher()
        else:
            for service in self.services:
                for process in (*self.processes, *self.extra_processes.get(service, ())):
                    self._spawn(f"{service}-{process}", service, process)
            self._spawn_gateway()
        self.wait_ready()

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        for handle in getattr(self, "_logs", {}).values():
            handle.close()
        self.children.clear()
        if (self.workdir / "logs").is_dir():  # scanned before they go with the work directory
            SECRETS_FOUND_IN_LOGS.extend(self.secrets_in_logs())
            PLATFORMS_SCANNED.append(self.tag)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self.has_vhost:
            _rabbitmqctl("delete_vhost", self.vhost)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def stop_process(self, name: str) -> None:
        """Stop one process this platform started (``"messaging-worker"``), as stop() would."""
        child = self.children[name]
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout=30)

    def start_process(self, service: str, process: str) -> None:
        """Start (again) one process of a service, named ``<service>-<process>``."""
        self._spawn(f"{service}-{process}", service, process)

    def assert_alive(self) -> None:
        """Raise if a process died after start-up (a crashed relay would only show as stuck orders)."""
        dead = {name: child.returncode for name, child in self.children.items() if child.poll() is not None}
        if dead:
            logs = "\n".join(f"--- {name}\n{self.log(name)[-2000:]}" for name in dead)
            raise RuntimeError(f"platform processes exited: {dead}\n{logs}")

    # -- helpers ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.gateway_port}{path}"

    def direct_url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def create_admin(self, email: str, password: str) -> None:
        """A staff admin in identity, as ``make createadmin`` makes one."""
        self._run_to_end("identity", "manage", "createadmin", "--email", email, "--password", password)

    def shell(self, service: str, code: str) -> object:
        """Run ``code`` in ``service``'s Django shell against this platform; it prints one JSON
        value (its last line of output), returned."""
        result = subprocess.run(
            [ROOT / "services" / service / "entrypoint.sh", "manage", "shell", "-c", code],
            env=self.env_for(service),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def log(self, name: str) -> str:
        return (self.workdir / "logs" / f"{name}.log").read_text(errors="replace")

    def secrets_in_logs(self) -> list[str]:
        """Every log line of this platform's processes that holds a token, password, API key
        or secret link (tests/log_secrets.py)."""
        return secrets_in_logs(self.workdir / "logs", label=f"platform {self.tag}: ")

    def base_env(self) -> dict[str, str]:
        """The caller's environment minus what would point this platform at another one's sockets."""
        env = {key: value for key, value in os.environ.items() if key != "SERVICE_SOCKET_DIR"}
        if self.upstreams == "unix":
            env["SERVICE_SOCKET_DIR"] = str(self.socket_dir)
        return env

    def env_for(self, service: str) -> dict[str, str]:
        broker_vhost = self.vhost if self.has_vhost else "%2F"
        identity = f"http://127.0.0.1:{self.ports['identity']}"
        return {
            **self.base_env(),
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            "DJANGO_ENV": "development",
            "LOG_FORMAT": "json",
            "POSTGRES_DB": self.database,
            "BROKER_URL": f"amqp://guest:guest@127.0.0.1:{self.broker_port}/{broker_vhost}",
            **({"POSTGRES_PORT": str(self.postgres_port)} if self.postgres_port else {}),
            "REDIS_URL": "redis://127.0.0.1:6379/9",
            "CACHE_KEY_PREFIX": f"{self.tag}-{service}",
            "JWT_PRIVATE_KEY_FILE": str(self.workdir / "keys" / "jwt-signing.pem"),
            "IDENTITY_INTERNAL_URL": identity,
            "PORT": str(self.ports[service]),
            "GUNICORN_WORKERS": str(self.gunicorn_workers),
            "MEDIA_ROOT": str(self.workdir / "media" / service),
            "MAIL_DIR": str(self.mail_dir),
            "SITE_URL": self.url(""),
            "EMAIL_VERIFICATION_URL": self.url("/account/verify/?token={token}"),
            "PASSWORD_RESET_URL": self.url("/account/reset-password/?token={token}"),
            **self.extra_env,
        }

    def gateway_env(self) -> dict[str, str]:
        # unix: render.py derives every upstream from SERVICE_SOCKET_DIR, as in `make run`.
        upstreams = {
            f"{name.upper()}_UPSTREAM": f"127.0.0.1:{port}" if self.upstreams == "tcp" else ""
            for name, port in self.ports.items()
        }
        return {
            **self.base_env(),
            **upstreams,
            "GATEWAY_PORT": str(self.gateway_port),
            "GATEWAY_PREFIX": str(self.workdir / "gateway"),
            "GATEWAY_RATE_GENERAL": "10000r/s",
            "GATEWAY_BURST_GENERAL": "10000",
            "GATEWAY_RATE_AUTH": "1000r/s",
            "GATEWAY_BURST_AUTH": "1000",
            "GATEWAY_WORKER_PROCESSES": "1",
            **self.extra_env,
        }

    def _log_file(self, name: str):
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self._logs = getattr(self, "_logs", {})
        self._logs[name] = open(self.workdir / "logs" / f"{name}.log", "ab")  # noqa: SIM115
        return self._logs[name]

    def _run_to_end(self, service: str, *command: str) -> None:
        script = ROOT / "services" / service / "entrypoint.sh"
        result = subprocess.run([script, *command], env=self.env_for(service), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{service} {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def _spawn(self, name: str, service: str, process: str) -> None:
        script = ROOT / "services" / service / "entrypoint.sh"
        log = self._log_file(name)
        self.children[name] = subprocess.Popen(
            [script, process],
            env=self.env_for(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _spawn_gateway(self) -> None:
        log = self._log_file("gateway")
        self.children["gateway"] = subprocess.Popen(
            [ROOT / "gateway" / "run.sh"],
            env=self.gateway_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def run_log(self, service: str) -> str:
        """What ``make run`` wrote to var/log/<service>.log (runner "make-run")."""
        return (self.workdir / "var" / "log" / f"{service}.log").read_text(errors="replace")

    def launcher_env(self) -> dict[str, str]:
        """One environment for the launcher: each web process takes its port from
        <SERVICE>_PORT, everything else is shared (the service name picks schema and role);
        sizes (workers, pools) are left to the launcher's development defaults."""
        shared = {
            key: value
            for key, value in self.env_for("identity").items()
            if key
            not in {"PORT", "CACHE_KEY_PREFIX", "MEDIA_ROOT", "GUNICORN_WORKERS", "GATEWAY_WORKER_PROCESSES"}
        }
        return {
            **self.gateway_env(),
            **shared,  # after the gateway's: its PATH puts the virtualenv first
            **{f"{name.upper()}_PORT": str(port) for name, port in self.ports.items()},
            "CATALOG_INTERNAL_URL": f"http://127.0.0.1:{self.ports['catalog']}",
            "MEDIA_ROOT": str(self.workdir / "media"),
        }

    def _spawn_launcher(self) -> None:
        log = self._log_file("run")
        self.children["run"] = subprocess.Popen(
            [
                PYTHON,
                ROOT / "scripts" / "run.py",
                "--no-migrate",
                "--var-dir",
                self.workdir / "var",
                *self.services,
            ],
            env=self.launcher_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        # A deadline, not a wait: polled. Two platforms starting side by side on two busy cores
        # have taken more than 90 s to answer ready (broker handshakes past the probe timeout).
        deadline = time.monotonic() + timeout
        pending = set(self.services)
        while pending and time.monotonic() < deadline:
            for name, child in self.children.items():
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited with {child.returncode}:\n{self.log(name)[-3000:]}")
            for service in list(pending):
                try:
                    if requests.get(self.url(f"/health/{service}/"), timeout=2).status_code == 200:
                        pending.discard(service)
                except requests.RequestException:
                    pass
            time.sleep(0.3)
        if pending:
            raise RuntimeError(f"not ready after {timeout}s: {sorted(pending)}")
