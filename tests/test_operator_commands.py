"""Every command docs/operations.md and docs/development.md mark safe to run (a fenced block
right after `<!-- safe-to-run -->`: listing, checking, rendering) works as written, from the
repository's root in a plain shell: no virtualenv on PATH, no PYTHON.

The commands run against a database, a RabbitMQ virtual host and a gateway prefix of this
test's own (configuration, as an operator's environment would hold it); the text is the doc's.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import uuid

import psycopg
import pytest

from scripts import db_bootstrap
from tests.harness import ADMIN_URL, ROOT, _rabbitmqctl

DOCS = ("docs/operations.md", "docs/development.md")
MARKER = "<!-- safe-to-run -->"
BLOCK = re.compile(re.escape(MARKER) + r"\n```(?:sh|bash)\n(.*?)\n```", re.DOTALL)


def safe_commands(doc: str) -> list[str]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert text.count(MARKER) == len(BLOCK.findall(text)), f"{doc}: a marker without a sh block after it"
    commands = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


COMMANDS = [(doc, command) for doc in DOCS for command in safe_commands(doc)]


def test_the_docs_mark_the_commands_an_operator_checks_with():
    commands = [command for _, command in COMMANDS]
    assert {doc for doc, _ in COMMANDS} == set(DOCS)
    assert "services/catalog/entrypoint.sh manage migrate --check" in " ".join(commands)
    assert any(command.startswith("make k8s-render") for command in commands)
    assert any("events_dlq list" in command for command in commands)


def plain_path() -> str:
    """PATH without any virtualenv: what a new shell on the machine has."""
    return os.pathsep.join(
        entry
        for entry in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if ".venv" not in entry and "/venv/" not in entry
    )


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory):
    tag = uuid.uuid4().hex[:8]
    database, vhost = f"ops_docs_{tag}", f"ops_docs_{tag}"
    assert db_bootstrap.main(["--admin-url", ADMIN_URL, "--database", database]) == 0
    has_vhost = _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl(
        "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"
    )
    inherited = ("HOME", "LANG", "USER", "TERM", "POSTGRES_HOST", "POSTGRES_PORT", "TMPDIR")
    env = {
        **{name: os.environ[name] for name in inherited if name in os.environ},
        "PATH": plain_path(),
        "POSTGRES_DB": database,
        "BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{vhost if has_vhost else '%2F'}",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "GATEWAY_PREFIX": str(tmp_path_factory.mktemp("gateway")),
        "WAIT_TIMEOUT_SECONDS": "20",
    }
    try:
        # catalog migrated, so `migrate --check` has nothing to report (the doc's example).
        migrate = subprocess.run(
            ["services/catalog/entrypoint.sh", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        yield env
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if has_vhost:
            _rabbitmqctl("delete_vhost", vhost)


@pytest.mark.parametrize(("doc", "command"), COMMANDS, ids=[command for _, command in COMMANDS])
def test_a_safe_command_works_as_written(operator_env, doc, command):
    assert "PYTHON=" not in command
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=operator_env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"{doc}: {shlex.quote(command)}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
