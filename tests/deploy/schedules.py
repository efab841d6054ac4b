"""Each service's Celery beat schedule, as its own Celery app loads it.

Read from the real settings (not by scanning the sources): a subprocess per service imports
``<service>.celery`` with ``<service>.settings``, the way ``entrypoint.sh beat`` does, and reports
the schedule's entries and the tasks the app registers. A schedule built in a helper module,
read from the environment or merged from another dict is seen as beat sees it.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass

from conftest import ROOT
from envvars import SERVICES

_REPORT = """
import importlib, json, sys
service = sys.argv[1]
app = importlib.import_module(f"{service}.celery").app
app.loader.import_default_modules()  # django.setup() and every app's tasks module
print(json.dumps({
    "schedule": {name: entry["task"] for name, entry in (app.conf.beat_schedule or {}).items()},
    "registered": sorted(app.tasks),
}))
"""


@dataclass(frozen=True)
class Schedule:
    entries: dict[str, str]  # entry name -> task name
    registered: frozenset[str]  # every task the service's app knows

    @property
    def tasks(self) -> set[str]:
        return set(self.entries.values())


@functools.cache
def beat_schedules() -> dict[str, Schedule]:
    """service -> its beat schedule. The six imports run side by side."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    running = {
        service: subprocess.Popen(
            [sys.executable, "-c", _REPORT, service],
            cwd=ROOT / "services" / service,
            env={**env, "SERVICE_NAME": service, "DJANGO_SETTINGS_MODULE": f"{service}.settings"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for service in SERVICES
    }
    out = {}
    for service, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{service}'s Celery app does not load:\n{stderr}"
        report = json.loads(stdout.strip().splitlines()[-1])
        out[service] = Schedule(report["schedule"], frozenset(report["registered"]))
    return out


def services_with_beat() -> set[str]:
    return {service for service, schedule in beat_schedules().items() if schedule.entries}
