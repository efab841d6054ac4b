"""`make run`'s launcher (scripts/run.py) without starting anything: which services a subset
brings along, the development defaults, and how it passes each process's lines on."""

import json
from pathlib import Path

import pytest

from scripts import run


def test_a_subset_brings_what_it_needs_in_the_platforms_order():
    assert run.selected(["orders"]) == ["identity", "catalog", "orders"]
    assert run.selected(["orders", "identity", "catalog"]) == ["identity", "catalog", "orders"]
    assert run.selected(["messaging"]) == ["identity", "messaging"]
    assert run.selected([]) == list(run.SERVICES)
    with pytest.raises(SystemExit, match="unknown services shop"):
        run.selected(["shop"])


def test_development_defaults_give_way_to_the_environment(tmp_path: Path):
    launcher = run.Launcher(["identity"], {"GUNICORN_WORKERS": "3", "IDENTITY_PORT": "9101"}, tmp_path)
    env = launcher.service_env("identity")
    assert env["GUNICORN_WORKERS"] == "3"  # the caller's
    assert (env["GUNICORN_THREADS"], env["CELERY_POOL"], env["CELERY_EMBED_BEAT"]) == ("4", "solo", "1")
    assert env["PORT"] == "9101" and env["GUNICORN_BIND"] == "127.0.0.1:9101"
    assert env["IDENTITY_INTERNAL_URL"] == "http://127.0.0.1:9101"
    # Each run's own beat schedule, never /tmp's shared one.
    assert env["CELERY_BEAT_SCHEDULE_FILENAME"] == str(tmp_path / "celerybeat" / "identity-schedule")
    assert env["SERVICE_SOCKET_DIR"] == str(tmp_path / "run")
    assert launcher.gateway_env()["GATEWAY_ABSENT_SERVICES"] == "catalog,orders,builds,messaging,analytics"


def test_json_lines_get_their_process_and_other_lines_pass_unchanged():
    line = json.dumps({"message": "ready", "service": "catalog"})
    assert json.loads(run.with_process(line, "catalog-web")) == {
        "message": "ready",
        "service": "catalog",
        "process": "catalog-web",
    }
    # Not rewritten into JSON: a test of the logs must see what a process wrote outside its format.
    assert (
        run.with_process("Traceback (most recent call last):", "catalog-web")
        == "Traceback (most recent call last):"
    )
    assert run.with_process("[1, 2]", "x") == "[1, 2]"
    assert run.with_process("{broken", "x") == "{broken"


def test_dotenv_fills_in_what_the_environment_leaves_unset(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text('# a comment\n\nLOG_FORMAT=text\nexport GATEWAY_PORT="8181"\nEMPTY=\nnot a pair\n')
    assert run.dotenv(env_file) == {"LOG_FORMAT": "text", "GATEWAY_PORT": "8181", "EMPTY": ""}
    assert run.dotenv(tmp_path / "missing") == {}
