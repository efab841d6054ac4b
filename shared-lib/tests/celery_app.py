"""The test service's Celery app, on throwaway queue names (worker processes import it)."""

import os

from django.conf import settings

from servicekit.celery import make_app

app = make_app("testsvc")
_queue = f"test-{settings.EVENTS_TEST_RUN}.testsvc.tasks"
app.conf.update(task_default_queue=_queue, task_default_exchange=_queue, task_default_routing_key=_queue)
os.environ.setdefault("CELERY_TEST_QUEUE", _queue)

# A worker test's beat: one quick entry (test_celery's embedded-beat test).
if os.environ.get("TEST_BEAT_EVERY_SECONDS"):
    app.conf.beat_schedule = {
        "add-every-second": {
            "task": "tests.testapp.tasks.add",
            "schedule": float(os.environ["TEST_BEAT_EVERY_SECONDS"]),
            "args": (1, 2),
        }
    }
