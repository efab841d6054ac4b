"""The entrypoint every service image and the Procfile run: its process commands, and run for
real (subprocesses against the real Postgres): waiting for the database, migrations, the
Prometheus multi-process directory, and gunicorn's own log lines."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from servicekit.entrypoint import PROCESS_COMMANDS, TEMPORARY_METRICS_DIR_MARKER
from servicekit.testing.tcp_proxy import TcpProxy


def test_celery_workers_of_different_services_get_distinct_node_names():
    # Workers of all services share one broker: a shared node name makes the second one crash
    # on the pidbox queue (RESOURCE_LOCKED), which stops the whole `make run`.
    names = {service: PROCESS_COMMANDS["worker"](service) for service in ("catalog", "orders")}
    assert names["catalog"][names["catalog"].index("--hostname") + 1] == "catalog@%h"
    assert names["orders"][names["orders"].index("--hostname") + 1] == "orders@%h"


def test_every_process_type_has_a_command():
    assert set(PROCESS_COMMANDS) == {"web", "worker", "beat", "consumer", "relay", "events", "ingester"}
    assert PROCESS_COMMANDS["ingester"]("analytics")[-1] == "ingest_request_logs"
    assert PROCESS_COMMANDS["events"]("catalog")[-1] == "run_events"
    assert PROCESS_COMMANDS["relay"]("catalog")[-1] == "relay_events"
    assert PROCESS_COMMANDS["consumer"]("catalog")[-1] == "consume_events"


# --- running it: real subprocesses against the real Postgres ---------------------------------

SHARED_LIB = Path(__file__).resolve().parents[1]
POSTGRES = "postgres://postgres@127.0.0.1:5432"

# Stands in for gunicorn: the real console script imports ``gunicorn.app.wsgiapp.run``, and
# this package comes first on PYTHONPATH. It reports what the entrypoint handed over, then exits.
FAKE_GUNICORN = """
import json, os, sys
from pathlib import Path

def run():
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    Path(os.environ["FAKE_GUNICORN_REPORT"]).write_text(json.dumps({
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "dir": directory,
        "files": sorted(p.name for p in Path(directory).iterdir()) if directory else None,
    }))
"""


class Entrypoint:
    """``python -m servicekit.entrypoint`` for the test service (tests.django_settings)."""

    def __init__(self, tmp_path: Path, *, fake_gunicorn: bool = True) -> None:
        self.tmp_path = tmp_path
        self.report_path = tmp_path / "gunicorn-report.json"
        self.metrics_dirs: set[Path] = set()
        path = [str(SHARED_LIB)]
        if fake_gunicorn:
            package = tmp_path / "fake" / "gunicorn"
            (package / "app").mkdir(parents=True)
            (package / "__init__.py").write_text("")
            (package / "app" / "__init__.py").write_text("")
            (package / "app" / "wsgiapp.py").write_text(FAKE_GUNICORN)
            path.insert(0, str(tmp_path / "fake"))
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            "SERVICE_NAME": "testsvc",
            "DJANGO_SETTINGS_MODULE": "tests.django_settings",
            "DJANGO_ENV": "test",
            "PYTHONPATH": os.pathsep.join(path),
            "FAKE_GUNICORN_REPORT": str(self.report_path),
            "DATABASE_URL": f"{POSTGRES}/platform",
            "WAIT_TIMEOUT_SECONDS": "20",
            "MIGRATE_ON_START": "0",
        }

    def popen(self, *args: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "servicekit.entrypoint", *args],
            cwd=self.tmp_path,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def run(self, *args: str, timeout: float = 60, **env: str) -> tuple[int, str, float]:
        started = time.monotonic()
        process = self.popen(*args, **env)
        try:
            output, _ = process.communicate(timeout=timeout)
        finally:
            _kill(process)
        return process.returncode, output, time.monotonic() - started

    @property
    def report(self) -> dict | None:
        if not self.report_path.exists():
            return None
        report = json.loads(self.report_path.read_text())
        if report["dir"]:
            self.metrics_dirs.add(Path(report["dir"]))
        return report

    def cleanup(self) -> None:
        """The fake gunicorn has no on_exit: remove the temporary metrics dirs it was given."""
        self.report  # noqa: B018  (records the last run's directory)
        for directory in self.metrics_dirs:
            if (directory / TEMPORARY_METRICS_DIR_MARKER).exists():
                shutil.rmtree(directory)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def entrypoint(tmp_path) -> Iterator[Entrypoint]:
    runner = Entrypoint(tmp_path)
    yield runner
    runner.cleanup()


# --- web: the Prometheus multi-process directory ---------------------------------------------


def test_web_runs_gunicorn_with_a_fresh_metrics_dir_of_its_own(entrypoint):
    code, output, _ = entrypoint.run("web")
    assert code == 0, output
    report = entrypoint.report
    assert report["argv"] == ["-c", "gunicorn.conf.py", "testsvc.wsgi:application"]
    directory = Path(report["dir"])
    assert directory.parent == Path(tempfile.gettempdir())
    assert directory.name.startswith("testsvc-prometheus-")
    assert report["files"] == [TEMPORARY_METRICS_DIR_MARKER]  # gunicorn's on_exit removes it
    # Each start gets its own: two instances of a service never mix their counters.
    assert entrypoint.run("web")[0] == 0
    assert entrypoint.report["dir"] != report["dir"]


def test_web_empties_a_configured_metrics_dir(entrypoint, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    for stale in ("counter_4711.db", "histogram_4711.db", "gauge_livesum_4712.db"):
        (directory / stale).write_bytes(b"\0" * 64)
    (directory / "not-prometheus.txt").write_text("left alone")
    code, output, _ = entrypoint.run("web", PROMETHEUS_MULTIPROC_DIR=str(directory))
    assert code == 0, output
    assert entrypoint.report["dir"] == str(directory)
    assert entrypoint.report["files"] == ["not-prometheus.txt"]


def test_web_creates_a_configured_metrics_dir_that_is_missing(entrypoint, tmp_path):
    directory = tmp_path / "var" / "prometheus"
    assert entrypoint.run("web", PROMETHEUS_MULTIPROC_DIR=str(directory))[0] == 0
    assert entrypoint.report["dir"] == str(directory) and entrypoint.report["files"] == []


def test_other_processes_get_no_metrics_dir(entrypoint):
    # Not gunicorn: nothing to add up, and nothing to leave behind.
    code, output, _ = entrypoint.run(
        sys.executable, "-c", "import os; print(os.environ.get('PROMETHEUS_MULTIPROC_DIR'))"
    )
    assert code == 0 and output.strip().splitlines()[-1] == "None", output


def test_gunicorn_on_exit_removes_only_a_temporary_metrics_dir(tmp_path, monkeypatch):
    from servicekit import gunicorn_config

    class Arbiter:
        reexec_pid = 0

    configured = tmp_path / "configured"
    configured.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(configured))
    gunicorn_config.on_exit(Arbiter())
    assert configured.is_dir()

    temporary = tmp_path / "temporary"
    temporary.mkdir()
    (temporary / TEMPORARY_METRICS_DIR_MARKER).touch()
    (temporary / "counter_1.db").touch()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(temporary))
    upgrading = Arbiter()
    upgrading.reexec_pid = 12345  # USR2: the new master still uses the directory
    gunicorn_config.on_exit(upgrading)
    assert temporary.is_dir()
    gunicorn_config.on_exit(Arbiter())
    assert not temporary.exists()


# --- waiting for the database ----------------------------------------------------------------


def test_waits_for_the_database_then_starts(entrypoint):
    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    proxy.cut()  # connections are refused, as while Postgres starts up
    try:
        process = entrypoint.popen("web", DATABASE_URL=f"postgres://postgres@127.0.0.1:{proxy.port}/platform")
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 20
        while not any("waiting for the database" in line for line in lines):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        assert entrypoint.report is None  # still waiting: gunicorn not started
        proxy.restore()
        assert process.wait(timeout=20) == 0, "".join(lines)
        reader.join(timeout=5)
        assert entrypoint.report is not None, "".join(lines)
        assert proxy.connections_accepted >= 1
    finally:
        _kill(process)
        proxy.stop()


def test_gives_up_with_a_clear_message_when_the_database_never_answers(entrypoint):
    port = _closed_port()
    code, output, elapsed = entrypoint.run(
        "web", DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/platform", WAIT_TIMEOUT_SECONDS="2"
    )
    assert code != 0
    assert f"gave up waiting for the database at 127.0.0.1:{port} after 2s (WAIT_TIMEOUT_SECONDS)" in output
    assert elapsed < 15
    assert entrypoint.report is None


def test_a_hung_database_does_not_hold_the_wait_past_its_timeout(entrypoint):
    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    proxy.blackhole()  # accepts connections, never answers
    try:
        code, output, _ = entrypoint.run(
            "web",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{proxy.port}/platform",
            WAIT_TIMEOUT_SECONDS="3",
            DB_CONNECT_TIMEOUT="30",  # without the cap, one attempt alone would take 30 s
        )
        ended = time.monotonic()
    finally:
        proxy.stop()
    assert code != 0
    assert "gave up waiting for the database" in output
    # From its first attempt to its exit: the interpreter's start, slow on a loaded machine, is
    # not part of the wait being bounded.
    assert proxy.first_connection_at is not None
    assert ended - proxy.first_connection_at < 12, output
    assert entrypoint.report is None


# --- migrations --------------------------------------------------------------------------------


@pytest.fixture
def scratch_schema(db):
    """A schema nobody uses, in the test database: the entrypoint migrates into it."""
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    assert database.startswith("test_")  # never the platform's own database
    schema = f"entrypoint_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES}/{database}"
    yield url, schema
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _tables(url: str, schema: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema]).fetchall()
    return {row[0] for row in rows}


def test_web_does_not_migrate_unless_asked(entrypoint, scratch_schema):
    url, schema = scratch_schema
    code, output, _ = entrypoint.run("web", DATABASE_URL=url, DB_SCHEMA=schema, MIGRATE_ON_START="0")
    assert code == 0, output
    assert _tables(url, schema) == set()
    assert entrypoint.report is not None


def test_migrate_on_start_migrates_before_gunicorn(entrypoint, scratch_schema):
    url, schema = scratch_schema
    code, output, _ = entrypoint.run("web", DATABASE_URL=url, DB_SCHEMA=schema, MIGRATE_ON_START="1")
    assert code == 0, output
    assert {"django_migrations", "testapp_effect"} <= _tables(url, schema)
    assert entrypoint.report is not None


def test_the_migrate_command_migrates_and_exits(entrypoint, scratch_schema):
    url, schema = scratch_schema
    code, output, _ = entrypoint.run("migrate", DATABASE_URL=url, DB_SCHEMA=schema)
    assert code == 0, output
    assert "django_migrations" in _tables(url, schema)
    assert entrypoint.report is None  # no process started


# --- gunicorn for real: metrics of every worker, gunicorn's log lines in the service format -----

WSGI_APP = """
import os
from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess

HITS = Counter("entrypoint_test_hits", "Requests to /hit")


def application(environ, start_response):
    if environ["PATH_INFO"] == "/dir":
        body = os.environ["PROMETHEUS_MULTIPROC_DIR"].encode()
    elif environ["PATH_INFO"] == "/metrics":
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        HITS.inc()
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
"""


class RealWeb:
    """``entrypoint.sh web`` on real gunicorn with servicekit's config, serving WSGI_APP; its
    output collected as it comes."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        entrypoint = Entrypoint(tmp_path, fake_gunicorn=False)
        (tmp_path / "gunicorn.conf.py").write_text("from servicekit.gunicorn_config import *  # noqa: F403\n")
        (tmp_path / "testsvc").mkdir()
        (tmp_path / "testsvc" / "__init__.py").write_text("")
        (tmp_path / "testsvc" / "wsgi.py").write_text(textwrap.dedent(WSGI_APP))
        entrypoint.env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(SHARED_LIB)])
        self.process = entrypoint.popen("web", **env)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def output(self) -> str:
        return "".join(self.lines)

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def wait_until(self, condition, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to the whole group (a re-exec'd master included), then reap."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
            deadline = time.monotonic() + 20
            while _group_alive(self.process.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.reader.join(timeout=5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_web_for_real_adds_up_every_worker_and_logs_json(tmp_path):
    web = RealWeb(
        tmp_path,
        GUNICORN_BIND="127.0.0.1:0",
        GUNICORN_WORKERS="3",
        LOG_FORMAT="json",
        GUNICORN_LOG_LEVEL="info",
    )
    try:
        web.wait_until(lambda: web.count("Booting worker") >= 3)
        gunicorn_lines = [json.loads(line) for line in web.lines if line.startswith("{")]
        listening = next(entry for entry in gunicorn_lines if entry["message"].startswith("Listening at"))
        base = listening["message"].split()[2]
        assert {entry["logger"] for entry in gunicorn_lines} == {"gunicorn.error"}
        assert {entry["service"] for entry in gunicorn_lines} == {"testsvc"}

        def get(path: str) -> str:
            try:
                with urllib.request.urlopen(f"{base}{path}", timeout=5) as response:
                    return response.read().decode()
            except urllib.error.HTTPError as exc:
                raise AssertionError(f"{path}: {exc}\n{web.output()}") from None

        directory = Path(get("/dir"))
        assert directory.parent == Path(tempfile.gettempdir())
        # Each worker creates its file as it imports the app: wait for all three (a scrape
        # racing a file's creation is prometheus_client's own, rare, problem).
        web.wait_until(lambda: len(list(directory.glob("counter_*.db"))) >= 3)
        time.sleep(0.2)

        for _ in range(12):
            get("/hit")
        metrics = get("/metrics")
        # Whichever worker answers the scrape, it reports the requests all of them served.
        assert "entrypoint_test_hits_total 12.0" in metrics, metrics
    finally:
        web.stop()
    # Every line, any of the entrypoint's own before it execs gunicorn included, is one JSON object.
    entries = [json.loads(line) for line in web.lines]
    assert entries and all(isinstance(entry, dict) for entry in entries), web.output()
    # servicekit's middleware logs requests; gunicorn's own access log stays off.
    assert not any(entry["logger"] == "gunicorn.access" for entry in entries)
    assert not directory.exists(), "on_exit leaves the per-run metrics directory behind"


def get_over_unix_socket(path: Path, request_path: str) -> str:
    """The body of a 200 answer to ``GET request_path`` sent over the unix socket at ``path``."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(5)
        conn.connect(str(path))
        conn.sendall(f"GET {request_path} HTTP/1.0\r\nHost: testsvc\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), answer
    return body.decode()


def web_with_a_socket(tmp_path: Path) -> tuple[RealWeb, Path]:
    """One worker, on a free port and on ``<tmp>/run/testsvc.sock``, booted."""
    socket_path = tmp_path / "run" / "testsvc.sock"
    web = RealWeb(
        tmp_path,
        GUNICORN_BIND="127.0.0.1:0",
        GUNICORN_WORKERS="1",
        SERVICE_SOCKET_DIR=str(socket_path.parent),
    )
    try:
        web.wait_until(lambda: web.count("Booting worker") >= 1)
    except BaseException:
        web.stop()
        raise
    return web, socket_path


def test_web_for_real_serves_its_unix_socket_and_survives_a_reload(tmp_path):
    web, socket_path = web_with_a_socket(tmp_path)
    try:
        first_worker = get_over_unix_socket(socket_path, "/hit")  # the app answers its pid

        os.kill(web.process.pid, signal.SIGHUP)  # the entrypoint exec'd gunicorn: this is the master
        web.wait_until(lambda: web.count("Booting worker") >= 2)
        # The old worker stops gracefully; once it is gone the new one answers.
        answers = []
        web.wait_until(
            lambda: answers.append(get_over_unix_socket(socket_path, "/hit")) or answers[-1] != first_worker
        )
    finally:
        web.stop()
    assert not socket_path.exists(), "gunicorn leaves its socket behind"


def test_web_for_real_upgrades_in_place_on_usr2(tmp_path):
    """USR2 starts a new master that inherits the listening sockets, then the old master is
    stopped: the guard against a live socket must not take the old master's for another
    server's, the new master's workers must import the app (they did not when gunicorn ran as
    ``python -m gunicorn``, gunicorn issue 3281), and they must serve on the same socket."""
    web, socket_path = web_with_a_socket(tmp_path)
    try:
        old_worker = get_over_unix_socket(socket_path, "/hit")
        metrics_dir = Path(get_over_unix_socket(socket_path, "/dir"))

        os.kill(web.process.pid, signal.SIGUSR2)
        web.wait_until(lambda: web.count("Booting worker") >= 2 or web.count("already serving") >= 1)
        assert web.count("already serving") == 0, web.output()
        listening = [json.loads(line)["message"] for line in web.lines if "Listening at" in line]
        # "Listening at: http://…,unix:<path> (<pid>)": the same sockets, another master.
        assert all(f"unix:{socket_path} (" in message for message in listening), listening
        masters = [int(message.rsplit("(", 1)[1].rstrip(")")) for message in listening]
        assert masters[0] == web.process.pid and len(set(masters)) == 2, listening

        os.kill(web.process.pid, signal.SIGTERM)  # the old master goes; the new one stays
        web.process.wait(timeout=30)
        assert web.count("Exception in worker process") == 0, web.output()
        new_worker = get_over_unix_socket(socket_path, "/hit")
        assert new_worker != old_worker
        # The old master's exit left the metrics directory the new master's workers write to.
        assert metrics_dir.is_dir() and get_over_unix_socket(socket_path, "/dir") == str(metrics_dir)
        # Promoted (it sees its parent gone), it owns the socket and removes it on exit.
        deadline = time.monotonic() + 30
        while not web.count("Master has been promoted") and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(masters[1], signal.SIGTERM)
        while _group_alive(web.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(web.process.pid), "the new master outlived its TERM"
        assert not socket_path.exists(), "the new master leaves its socket behind"
    finally:
        web.stop()


def test_web_serves_the_asgi_application_when_the_service_asks_for_it(monkeypatch):
    monkeypatch.setenv("WEB_INTERFACE", "asgi")
    assert PROCESS_COMMANDS["web"]("builds")[-1] == "builds.asgi:application"
    monkeypatch.setenv("WEB_INTERFACE", "")
    assert PROCESS_COMMANDS["web"]("builds")[-1] == "builds.wsgi:application"
    monkeypatch.setenv("WEB_INTERFACE", "fastcgi")
    with pytest.raises(SystemExit, match="WEB_INTERFACE"):
        PROCESS_COMMANDS["web"]("builds")


def test_the_worker_takes_its_pool_and_concurrency_from_the_environment(monkeypatch):
    from servicekit.entrypoint import worker_command

    for name in ("CELERY_POOL", "CELERY_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    plain = worker_command("catalog")
    assert "--pool" not in plain and "--concurrency" not in plain

    monkeypatch.setenv("CELERY_POOL", "solo")
    monkeypatch.setenv("CELERY_CONCURRENCY", "1")
    sized = worker_command("catalog")
    assert sized[sized.index("--pool") + 1] == "solo"
    assert sized[sized.index("--concurrency") + 1] == "1"


def test_celery_prints_no_banner_when_logs_are_json(monkeypatch):
    # Its banners go to stdout outside logging; servicekit.celery logs them as JSON instead.
    from servicekit.entrypoint import celery_command

    monkeypatch.setenv("LOG_FORMAT", "json")
    assert "--quiet" in celery_command("orders")
    assert "--quiet" in PROCESS_COMMANDS["beat"]("orders")
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert "--quiet" not in celery_command("orders")


def test_the_entrypoints_own_lines_follow_log_format(monkeypatch, capsys):
    from servicekit import entrypoint

    monkeypatch.setenv("SERVICE_NAME", "catalog")
    monkeypatch.setenv("LOG_FORMAT", "json")
    entrypoint.log("waiting for the broker at 127.0.0.1:5672 …")
    line = json.loads(capsys.readouterr().err)
    assert line["service"] == "catalog" and line["logger"] == "entrypoint" and line["level"] == "INFO"
    assert line["message"] == "waiting for the broker at 127.0.0.1:5672 …"
    with pytest.raises(SystemExit) as exited:
        entrypoint.run([])  # no command: refused with a usage message
    assert exited.value.code == 1
    refusal = json.loads(capsys.readouterr().err)
    assert refusal["level"] == "ERROR" and refusal["message"].startswith("usage: entrypoint.sh")

    monkeypatch.setenv("LOG_FORMAT", "text")
    entrypoint.log("waiting")
    assert capsys.readouterr().err == "[entrypoint] waiting\n"
