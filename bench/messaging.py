#!/usr/bin/env python3
"""messaging's throughput: sends accepted through the gateway, the send task with the loopback
phone, and e-mails rendered and sent.

1. **Accepted per second through the gateway.** Starts identity and messaging (web, and
   messaging's worker for the set-up) behind a real nginx gateway with the test harness (own
   database, RabbitMQ vhost and signing key), signs up ``--users`` customers and logs each
   one's loopback session in (QR code, simulated scan). Then the worker is stopped and wrk
   sends ``POST /api/v1/messaging/messages/`` for ``--seconds`` with ``--connections``
   connections, the users' tokens in turn: each request is validated, counted against its
   user's daily quota (one conditional upsert), stored ``queued`` and its send task published
   to RabbitMQ (with confirms) after the commit. Any answer but 202 aborts the benchmark.
2. **Send-task throughput with the loopback provider.** The worker (Celery, prefork, as many
   processes as cores) starts again on the backlog of queued messages: each send task locks
   the message, hands it to the loopback phone and records it ``sent``; the phone answers
   with three signed acknowledgements (server at once, delivered after
   ``LOOPBACK_DELIVERY_SECONDS``, read after ``LOOPBACK_READ_SECONDS``), each a task of its
   own on the same worker through the webhook pipeline. The rate is counted from the first
   message sent to the last (the worker's start-up is left out), by reading the message
   counts in Postgres every 50 ms; the time until every message is ``read`` is printed too.
3. **E-mails rendered and sent per second**, in-process on one thread with messaging's own
   code and a database of its own (``bench_messaging``): rendering alone (subject, text and
   HTML, English and Spanish alternately), then the send task's whole body
   (``notification_deliver``: row lock, render, send, ``messaging.email.sent`` into the
   outbox) through the development ``.eml`` backend and through Django's SMTP backend to a
   local SMTP server (a connection per e-mail, as the task makes).

Nothing is asserted; the load average is printed because the figures move with whatever
else the machine runs.

    .venv/bin/python bench/messaging.py [--users 4] [--seconds 10] [--connections 8]
        [--workers 2] [--emails 300]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import ADMIN_URL, Platform  # noqa: E402

PASSWORD = "bench-Customer-Pass-2026!"
MESSAGES = "/api/v1/messaging/messages/"
SESSIONS = "/api/v1/messaging/sessions/"
BODY = '{"to": "+34600000001", "text": "Hello from the benchmark"}'
EMAIL_DATABASE = "bench_messaging"
WRK_SCRIPT = """
local tokens = {%s}
local n = 0
request = function()
  n = n + 1
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[(n %% #tokens) + 1]
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "%s", headers, '%s')
end
"""


def wait_until(predicate, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise RuntimeError("condition not met in time")


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# -- 1 and 2: through the gateway -------------------------------------------------------------
def signed_in_user(platform: Platform) -> dict[str, str]:
    """A new customer whose loopback session is working; their token."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        platform.url("/api/v1/auth/register/"), json={"email": email, "password": PASSWORD}, timeout=10
    )
    registered.raise_for_status()
    login = requests.post(
        platform.url("/api/v1/auth/login/"), json={"email": email, "password": PASSWORD}, timeout=10
    )
    token = login.json()["data"]["access"]
    headers = {"Authorization": f"Bearer {token}"}
    started = requests.post(platform.url(SESSIONS), json={}, headers=headers, timeout=10)
    session = platform.url(f"{SESSIONS}{started.json()['data']['id']}/")

    def status() -> str:
        return requests.get(session, headers=headers, timeout=10).json()["data"]["status"]

    wait_until(lambda: status() == "scan_qr_code")
    requests.get(f"{session}qr/", headers=headers, timeout=10).raise_for_status()
    requests.post(f"{session}scan/", headers=headers, timeout=10).raise_for_status()
    wait_until(lambda: status() == "working")
    return headers


def message_counts(platform: Platform) -> dict[str, int]:
    """Messages by status, read in Postgres (cheaper than asking the API while measuring)."""
    with psycopg.connect(ADMIN_URL, dbname=platform.database, autocommit=True) as conn:
        rows = conn.execute("SELECT status, count(*) FROM messaging.messaging_chat_message GROUP BY status")
        return dict(rows.fetchall())


def settled_total(platform: Platform) -> int:
    """Every message, once the requests wrk left in flight have committed (the count holds)."""
    previous = -1
    while (total := sum(message_counts(platform).values())) != previous:
        previous = total
        time.sleep(0.5)
    return total


def queued_below(platform: Platform, count: int) -> tuple[float, int] | None:
    """(now, messages still queued) once fewer than ``count`` are."""
    now, left = time.monotonic(), message_counts(platform).get("queued", 0)
    return (now, left) if left < count else None


def wrk_sends(platform: Platform, tokens: list[str], *, seconds: int, connections: int) -> tuple[float, int]:
    quoted = ", ".join(f'"{token}"' for token in tokens)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (quoted, MESSAGES, BODY))
    try:
        output = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, platform.url(MESSAGES)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{errors.group(1)} error responses\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rps, int(re.search(r"(\d+) requests in", output).group(1))


def gateway_part(args: argparse.Namespace) -> None:
    env = {"MESSAGING_DAILY_MESSAGE_LIMIT": "100000000", "LOOPBACK_SCAN_SECONDS": "0"}
    with Platform(
        services=["identity", "messaging"],
        processes=("web",),
        extra_processes={"messaging": ("worker",)},
        gunicorn_workers=args.workers,
        env=env,
    ) as platform:
        users = [signed_in_user(platform) for _ in range(args.users)]
        platform.stop_process("messaging-worker")
        for headers in users:  # warm every web worker's caches (JWKS, verified tokens)
            for _ in range(4):
                requests.post(
                    platform.url(MESSAGES),
                    data=BODY,
                    headers={**headers, "Content-Type": "application/json"},
                    timeout=10,
                ).raise_for_status()

        print(f"1. sends accepted through the gateway (load {load()}):")
        tokens = [headers["Authorization"].split()[1] for headers in users]
        rps, requests_made = wrk_sends(platform, tokens, seconds=args.seconds, connections=args.connections)
        queued = settled_total(platform)
        print(
            f"   {rps:8.1f} messages accepted/s   ({requests_made} in {args.seconds} s, {args.users} users, "
            f"wrk -t2 -c{args.connections}, gunicorn sync x{args.workers}; {queued} queued in all)"
        )

        print(f"2. send tasks with the loopback phone (load {load()}):")
        platform.start_process("messaging", "worker")
        first, left_at_first = wait_until(lambda: queued_below(platform, queued), 120, 0.05)
        sent_all = wait_until(
            lambda: not message_counts(platform).get("queued") and time.monotonic(), 3600, 0.05
        )
        read_all = wait_until(
            lambda: message_counts(platform).get("read", 0) == queued and time.monotonic(), 3600, 0.05
        )
        counts = message_counts(platform)
        rate = left_at_first / (sent_all - first)
        print(
            f"   {rate:8.1f} messages sent/s      ({left_at_first} from the first send to the last, "
            f"{sent_all - first:.1f} s; each also gets 3 acknowledgement tasks)"
        )
        tasks = 4 * left_at_first  # each send, and the phone's three acknowledgements
        print(
            f"   every message read {read_all - first:.1f} s after the first send: {tasks / (read_all - first):.1f} "
            f"tasks/s in all ({tasks} sends and acknowledgements); final statuses {counts}"
        )


# -- 3: e-mails, in-process ------------------------------------------------------------------
def email_part(args: argparse.Namespace) -> None:
    mail_dir = tempfile.mkdtemp(prefix="bench-messaging-mail-")
    os.environ.update(
        {
            "DJANGO_ENV": "development",
            "DJANGO_SETTINGS_MODULE": "messaging.settings",
            "DATABASE_URL": f"postgres://messaging:messaging@127.0.0.1:5432/{EMAIL_DATABASE}",
            "DB_SCHEMA": "messaging",
            "MAIL_DIR": mail_dir,
            "EMAIL_URL": "",
            "LOG_LEVEL": "WARNING",
            "CACHE_KEY_PREFIX": f"bench-messaging-{uuid.uuid4().hex[:8]}",
        }
    )
    sys.path.insert(0, str(ROOT / "services" / "messaging"))
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [EMAIL_DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{EMAIL_DATABASE}" OWNER messaging')

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from messaging.notifications.models import Notification, NotificationKind
    from messaging.notifications.rendering import render_email
    from messaging.notifications.services import notification_deliver, recipient_upsert
    from messaging.testing.fake_smtp import FakeSmtp

    call_command("migrate", verbosity=0)
    user_id = uuid.uuid4()
    recipient_upsert(user_id=user_id, email="bench@example.com", occurred_at=timezone.now(), first_name="Ada")
    samples = [
        (
            NotificationKind.ORDER_PAID,
            "en",
            {"order_id": str(uuid.uuid4()), "amount": "25.00", "currency": "USD", "name": "Ada"},
        ),
        (
            NotificationKind.EMAIL_VERIFICATION,
            "es",
            {
                "email": "bench@example.com",
                "verification_url": "http://localhost:8080/account/verify/?token=bench",
                "expires_at": "2026-03-16T12:00:00Z",
                "name": "Ada",
            },
        ),
    ]

    def pending(count: int) -> list[Notification]:
        return Notification.objects.bulk_create(
            Notification(
                event_id=uuid.uuid4(),
                event_type="bench",
                kind=kind,
                user_id=user_id,
                to_email="bench@example.com",
                language=language,
                context=context,
            )
            for n in range(count)
            for kind, language, context in [samples[n % 2]]
        )

    def rate(label: str, work, count: int) -> None:
        started = time.perf_counter()
        for n in range(count):
            work(n)
        elapsed = time.perf_counter() - started
        print(
            f"   {count / elapsed:8.1f} e-mails/s   {label} ({elapsed / count * 1000:.2f} ms each, one thread)"
        )

    print(f"3. e-mails (load {load()}):")
    for kind, language, context in samples:  # templates and catalogues loaded before timing
        render_email(kind=kind, context=context, language=language, name="Ada")
    rate(
        "rendered (subject, text, HTML)",
        lambda n: render_email(kind=samples[n % 2][0], context=samples[n % 2][2], language=samples[n % 2][1]),
        args.emails,
    )
    notifications = pending(args.emails)
    rate(
        "rendered and sent, .eml files (the send task's body)",
        lambda n: notification_deliver(notification_id=notifications[n].id),
        args.emails,
    )
    written = len(list(Path(mail_dir).glob("*.eml")))
    with FakeSmtp() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
        notifications = pending(args.emails)
        rate(
            "rendered and sent, SMTP to a local server (a connection each)",
            lambda n: notification_deliver(notification_id=notifications[n].id),
            args.emails,
        )
        received = len(smtp.messages)
    print(f"   ({written} .eml files written, {received} messages received over SMTP)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--emails", type=int, default=300)
    args = parser.parse_args()
    print(f"messaging bench on {os.cpu_count()} cores")
    gateway_part(args)
    email_part(args)  # after the platform has stopped: it configures Django in this process
    return 0


if __name__ == "__main__":
    sys.exit(main())
