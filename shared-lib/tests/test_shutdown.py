"""servicekit.shutdown: under ``make run`` (QUICK_EXIT=1) a service process skips the full
garbage collections at exit, without losing what those collections would have flushed;
every other process exits as Python does."""

import atexit
import os
import subprocess
import sys
from pathlib import Path

from servicekit import shutdown

SHARED_LIB = Path(__file__).resolve().parents[1]

# Registered before django.setup(), so it runs after servicekit's exit step: it reports what
# the interpreter's final collections will have to walk.
PROBE = """
import atexit, gc, django
atexit.register(lambda: print("frozen objects at exit:", gc.get_freeze_count(), flush=True))
{setup}
class KeptByACycle:
    def __init__(self, path):
        self.me = self
        self.file = open(path, "w")
        self.file.write("buffered, never flushed by hand")
kept = KeptByACycle({path!r})
"""


def _run_probe(setup: str, path: Path, **extra_env: str) -> int:
    env = {
        **{name: value for name, value in os.environ.items() if name != "QUICK_EXIT"},
        "DJANGO_SETTINGS_MODULE": "tests.django_settings",
        "PYTHONPATH": str(SHARED_LIB),
        **extra_env,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup, path=str(path))],
        cwd=SHARED_LIB,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("frozen objects at exit:"))
    return int(line.rsplit(":", 1)[1])


def test_under_make_run_a_process_freezes_its_heap_at_exit_and_still_flushes_files_held_by_cycles(tmp_path):
    path = tmp_path / "out.txt"
    assert _run_probe("django.setup()", path, QUICK_EXIT="1") > 10_000
    assert path.read_text() == "buffered, never flushed by hand"


def test_a_deployed_service_process_collects_its_heap_as_usual(tmp_path):
    path = tmp_path / "out.txt"
    assert _run_probe("django.setup()", path) == 0
    assert path.read_text() == "buffered, never flushed by hand"


def test_without_servicekit_the_heap_is_collected_as_usual(tmp_path):
    path = tmp_path / "out.txt"
    assert _run_probe("", path) == 0
    assert path.read_text() == "buffered, never flushed by hand"


def test_installing_twice_registers_one_exit_step(monkeypatch):
    was_installed = shutdown._installed  # when this test process runs with QUICK_EXIT=1
    monkeypatch.setattr(shutdown, "_installed", False)
    atexit.unregister(shutdown.freeze_heap_for_exit)
    before = atexit._ncallbacks()
    try:
        shutdown.install_quick_exit()
        shutdown.install_quick_exit()
        assert atexit._ncallbacks() == before + 1
    finally:
        atexit.unregister(shutdown.freeze_heap_for_exit)
        if was_installed:
            atexit.register(shutdown.freeze_heap_for_exit)
