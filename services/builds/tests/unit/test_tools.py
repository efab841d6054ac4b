"""Running the tools: output goes to the log line by line; a failure names the command and
quotes its last error line; a tool that outlives its timeout is killed with its children."""

from __future__ import annotations

import sys
import time

import pytest

from builds.storage.tools import ToolFailed, run


def test_output_lines_are_logged_and_stdout_returned():
    lines = []

    out = run([sys.executable, "-c", "print('one'); print(); print('two')"], log=lines.append)

    assert out == "one\n\ntwo"
    assert lines == ["one", "two"]


def test_a_failure_names_the_tool_and_quotes_its_last_error_line():
    script = (
        "import sys; print('note', file=sys.stderr); print('error: it broke', file=sys.stderr); sys.exit(3)"
    )

    with pytest.raises(ToolFailed) as error:
        run([sys.executable, "-c", script])

    assert str(error.value) == f"{sys.executable.rsplit('/', 1)[-1]} exited with status 3: error: it broke"
    assert error.value.returncode == 3


def test_ostree_and_flatpak_are_named_with_their_subcommand():
    with pytest.raises(ToolFailed, match=r"^ostree rev-parse exited with status 1: error: "):
        run(["ostree", "rev-parse", "--repo=/nonexistent", "x"])


def test_a_tool_that_cannot_start_is_a_tool_failure():
    with pytest.raises(ToolFailed, match="^nope could not start: ") as error:
        run(["/nonexistent/nope"])
    assert error.value.returncode is None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


def test_a_tool_past_its_timeout_is_killed_with_what_it_started(tmp_path):
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()

    with pytest.raises(ToolFailed, match="did not finish within 0.5 s"):
        run(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"], timeout=0.5)

    assert time.monotonic() - started < 10
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)  # the background child went with it
