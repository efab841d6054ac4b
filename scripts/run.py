"""`make run`: the platform's processes on one machine, sized for a laptop, and their logs.

    make run                                   # every service, the gateway on :8080
    make run SERVICES="identity catalog orders"  # a subset, plus what it needs (identity)
    make logs SERVICE=catalog                  # follow one service (var/log/catalog.log)

Per service (development defaults; every one can be overridden from the environment, and the
production manifests run the separate process types with their own settings):

- ``web``: gunicorn, ``GUNICORN_WORKERS=1`` worker with ``GUNICORN_THREADS=4`` threads;
- ``worker``: Celery, ``CELERY_POOL=solo`` (no pool children), with the service's beat in a
  thread (``CELERY_EMBED_BEAT=1``: safe with one worker per service; its schedule file lives
  in this run's var directory, never shared with another run) and its event consumer and
  relay in two more (``CELERY_EMBED_EVENTS=1``, servicekit.celery.EmbeddedEvents: each loop on
  its own connections, so at-least-once delivery and outbox order are kept);
- ``events`` for catalog, which has no Celery tasks: its consumer and relay in one process;
- analytics' request-log ``ingester``; and the gateway, with one nginx worker.

Variables come from the environment, then from ``.env`` (copied from ``.env.example``).
A service left out answers 503 at the gateway (``GATEWAY_ABSENT_SERVICES``). Each line a
process writes goes to this terminal and to ``var/log/<service>.log``; with ``LOG_FORMAT=json``
(the default) it is one JSON object, to which the launcher adds ``"process"``; with
``LOG_FORMAT=text`` it is prefixed by the process's name. Ctrl-C (or SIGTERM) stops every
process: SIGTERM to each, SIGKILL to what is left after ``RUN_STOP_SECONDS`` (10).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared-lib" / "src"))

from servicekit.observability.logging import json_line  # noqa: E402

SERVICES = ("identity", "catalog", "orders", "builds", "messaging", "analytics")
PORTS = {name: 8001 + index for index, name in enumerate(SERVICES)}
# What a service calls synchronously at start or on its requests: started with it.
NEEDS = {
    "identity": (),
    "catalog": ("identity",),
    "orders": ("identity", "catalog"),
    "builds": ("identity",),
    "messaging": ("identity",),
    "analytics": ("identity",),
}
# The worker runs the service's consumer and relay in threads (CELERY_EMBED_EVENTS=1); catalog,
# which has no Celery tasks, runs them in an events process of their own instead.
PROCESSES = {name: ("web", "worker") for name in SERVICES} | {
    "catalog": ("web", "events"),
    "analytics": ("web", "worker", "ingester"),
}
DEVELOPMENT_DEFAULTS = {
    "DJANGO_ENV": "development",
    "GUNICORN_WORKERS": "1",
    "GUNICORN_THREADS": "4",
    "CELERY_POOL": "solo",
    "CELERY_EMBED_BEAT": "1",
    "CELERY_EMBED_EVENTS": "1",
    "GATEWAY_WORKER_PROCESSES": "1",
    "QUICK_EXIT": "1",  # servicekit/shutdown.py: Ctrl-C stops every process quickly
}


def selected(names: list[str]) -> list[str]:
    """The services asked for plus what they need, in the platform's order."""
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise SystemExit(f"run: unknown services {', '.join(unknown)} (known: {', '.join(SERVICES)})")
    wanted: set[str] = set()
    pending = list(names or SERVICES)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(NEEDS[name])
    return [name for name in SERVICES if name in wanted]


class Launcher:
    def __init__(self, services: list[str], env: dict[str, str], var_dir: Path) -> None:
        self.services = services
        self.var_dir = var_dir
        self.json = env.get("LOG_FORMAT", "json").strip() != "text"
        self.env = {**DEVELOPMENT_DEFAULTS, **env}
        self.env.setdefault("SERVICE_SOCKET_DIR", str(var_dir / "run"))
        self.env.setdefault("LOG_FORMAT", "json")
        self.ports = {name: int(self.env.get(f"{name.upper()}_PORT") or PORTS[name]) for name in SERVICES}
        self.env.setdefault("IDENTITY_INTERNAL_URL", f"http://127.0.0.1:{self.ports['identity']}")
        self.env.setdefault("CATALOG_INTERNAL_URL", f"http://127.0.0.1:{self.ports['catalog']}")
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.readers: list[threading.Thread] = []
        self.logs: dict[str, IO[str]] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    # --- output -----------------------------------------------------------------------------

    def say(self, message: str, level: str = "INFO", **fields: object) -> None:
        if self.json:
            line = json_line(message, service="platform", logger="run", level=level, fields=fields)
        else:
            line = f"run | {message}"
        self.write("platform", line)

    def write(self, service: str, line: str) -> None:
        with self.lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            log = self.logs.get(service)
            if log is not None:
                log.write(line + "\n")
                log.flush()

    def relay_output(self, name: str, service: str, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            if not line:
                continue
            self.write(service, with_process(line, name) if self.json else f"{name} | {line}")

    # --- processes --------------------------------------------------------------------------

    def service_env(self, service: str) -> dict[str, str]:
        schedules = self.var_dir / "celerybeat"
        return {
            **self.env,
            "PORT": str(self.ports[service]),
            "GUNICORN_BIND": f"127.0.0.1:{self.ports[service]}",
            # This run's own beat schedule: never /tmp's, which another run may be using.
            "CELERY_BEAT_SCHEDULE_FILENAME": str(schedules / f"{service}-schedule"),
        }

    def gateway_env(self) -> dict[str, str]:
        absent = [name for name in SERVICES if name not in self.services]
        return {**self.env, "GATEWAY_ABSENT_SERVICES": ",".join(absent)}

    def spawn(self, name: str, service: str, argv: list[str], env: dict[str, str]) -> None:
        child = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped by the launcher, process group by process group
        )
        self.children[name] = child
        assert child.stdout is not None
        reader = threading.Thread(target=self.relay_output, args=(name, service, child.stdout), daemon=True)
        reader.start()
        self.readers.append(reader)
        self.say(f"started {name} (pid {child.pid})", pid=child.pid)

    def migrate(self) -> None:
        for service in self.services:
            result = subprocess.run(
                [
                    str(ROOT / "services" / service / "entrypoint.sh"),
                    "manage",
                    "migrate",
                    "--noinput",
                    "-v",
                    "0",
                ],
                env=self.service_env(service),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                for line in (result.stdout + result.stderr).splitlines():
                    self.write(service, with_process(line, f"{service}-migrate") if self.json else line)
                raise SystemExit(f"run: migrating {service} failed")
            self.say(f"migrated {service}")

    def open_logs(self) -> None:
        (self.var_dir / "log").mkdir(parents=True, exist_ok=True)
        (self.var_dir / "celerybeat").mkdir(parents=True, exist_ok=True)
        for name in (*self.services, "gateway", "platform"):
            self.logs[name] = open(self.var_dir / "log" / f"{name}.log", "a")  # noqa: SIM115

    def start(self) -> None:
        for service in self.services:
            script = str(ROOT / "services" / service / "entrypoint.sh")
            for process in PROCESSES[service]:
                self.spawn(f"{service}-{process}", service, [script, process], self.service_env(service))
        self.spawn("gateway", "gateway", [str(ROOT / "gateway" / "run.sh")], self.gateway_env())
        port = self.env.get("GATEWAY_PORT") or "8080"
        self.say(
            f"gateway: http://localhost:{port} (docs: http://localhost:{port}/api/docs); "
            f"services: {' '.join(self.services)}; logs: {self.var_dir / 'log'}"
        )

    def watch(self) -> int:
        """Until asked to stop or a process ends by itself; returns the exit status."""
        while not self.stopping.wait(0.5):
            for name, child in self.children.items():
                if child.poll() is not None:
                    self.say(f"{name} exited with {child.returncode}; stopping the platform", "ERROR")
                    return 1
        return 0

    def stop(self, grace: float) -> None:
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, child in self.children.items():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{name} outlived {grace:g}s; sending SIGKILL", "WARNING")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        for reader in self.readers:
            reader.join(timeout=2)
        self.say("stopped")
        for log in self.logs.values():
            log.close()


def dotenv(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file (comments, blank lines and ``export`` allowed,
    one pair of surrounding quotes removed); nothing if there is no file."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def with_process(line: str, process: str) -> str:
    """A JSON object line with ``"process"`` added; any other line exactly as it came (so a
    test of the JSON logs sees what a process wrote outside its log format)."""
    if not line.startswith("{"):
        return line
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict):
        return line
    entry.setdefault("process", process)
    return json.dumps(entry, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", help="services to run (default: $SERVICES, else all)")
    parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    parser.add_argument("--var-dir", type=Path, default=Path(os.environ.get("RUN_VAR_DIR") or ROOT / "var"))
    args = parser.parse_args(argv)
    names = args.services or os.environ.get("SERVICES", "").replace(",", " ").split()
    # .env (copied from .env.example) fills in what the environment does not set.
    env = {**dotenv(ROOT / ".env"), **os.environ}
    launcher = Launcher(selected(names), env, args.var_dir.resolve())

    def request_stop(_signum: int, _frame: object) -> None:
        launcher.stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    status = 0
    try:
        launcher.open_logs()
        if not args.no_migrate:
            launcher.migrate()
        if not launcher.stopping.is_set():
            launcher.start()
            status = launcher.watch()
    except SystemExit as exc:
        launcher.say(str(exc.code), "ERROR")
        status = 1
    finally:
        launcher.say("stopping")
        launcher.stop(float(os.environ.get("RUN_STOP_SECONDS") or "10"))
    return status


if __name__ == "__main__":
    sys.exit(main())
