"""A minimal service used to test servicekit itself against the real Postgres/Redis/RabbitMQ.

The environment is set before servicekit's base settings read it; subprocesses (relays,
consumers, workers) inherit it.
"""

import os
import uuid
from pathlib import Path

os.environ.setdefault("SERVICE_NAME", "testsvc")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/platform")
os.environ.setdefault("DB_SCHEMA", "servicekit_test")
# Two runs of this suite side by side (say, while developing) need their own test database.
os.environ.setdefault("DB_TEST_NAME", os.environ.get("SERVICEKIT_TEST_DATABASE", "test_testsvc"))
os.environ.setdefault("CONTRACTS_DIR", str(Path(__file__).resolve().parent / "contracts"))
# Events: a throwaway topology per test run, so tests never touch a running platform's
# exchange or queues; short retry delays and leases keep the fault tests fast.
EVENTS_TEST_RUN = _events_run = os.environ.setdefault("EVENTS_TEST_RUN", uuid.uuid4().hex[:8])
os.environ.setdefault("EVENTS_EXCHANGE", f"test-{_events_run}.events")
os.environ.setdefault("EVENTS_QUEUE", f"test-{_events_run}.testsvc.events")
os.environ.setdefault("EVENTS_HANDLERS_MODULE", "tests.testapp.handlers")
os.environ.setdefault("EVENTS_RETRY_DELAYS_SECONDS", "0.2,0.4")
os.environ.setdefault("EVENTS_RELAY_LEASE_SECONDS", "2")
os.environ.setdefault("EVENTS_RELAY_PUBLISH_TIMEOUT_SECONDS", "1.5")
os.environ.setdefault("EVENTS_RELAY_POLL_SECONDS", "1")
os.environ.setdefault("EVENTS_HEARTBEAT_SECONDS", "5")

from servicekit.settings.base import *
from servicekit.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
ROOT_URLCONF = "tests.urls"
