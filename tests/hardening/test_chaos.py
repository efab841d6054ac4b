"""Chaos under load: the whole platform, wired to RabbitMQ and Postgres through TCP proxies the
test controls, takes a scripted load (registrations, checkouts, payments, cancellations,
WhatsApp messages through the loopback phone, Flatpak builds) while the test cuts and restores
the broker and database paths, SIGKILLs workers, relays and consumers (a supervisor restarts
them) and restarts web processes. Then, once everything settled (polled, with a deadline):

- every order is in a final state (paid, cancelled, rejected) and its saga agrees with catalog:
  each product's stock is its initial stock minus what was paid, nothing left reserved;
- every notification was sent exactly once (the .eml files messaging wrote): one address
  confirmation per sign-up, one payment receipt per paid order, no notification twice;
- every message sent was delivered and read, and counted once against the quota;
- every pushed build was published;
- analytics counts exactly what was done (sign-ups, orders placed and paid, revenue);
- the dead-letter queues are empty;
- no request got a 5xx outside the windows where its dependency was cut, and those that did
  got the JSON 503 envelope (the gateway's 502/503 ``upstream_unavailable`` while the service
  itself restarted).

``CHAOS_SECONDS`` sets how long the load and the faults last (``make test``: a bounded run;
``make chaos``: a long one); ``CHAOS_SEED`` replays a run's choices of what to kill.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from servicekit.testing.polling import poll
from servicekit.testing.tcp_proxy import TcpProxy
from tests.e2e.builds.support import load_test_content
from tests.e2e.shopping import ADDRESS, ADMIN_PASSWORD, CUSTOMER_PASSWORD, create_admin
from tests.hardening.chaos import Client, Journal, PathCutter, Supervisor, describe
from tests.harness import Platform, _rabbitmqctl

CHAOS_SECONDS = float(os.environ.get("CHAOS_SECONDS", "60"))
# make test's bounded run replays one script of faults; make chaos draws a new one each time.
SEED = int(os.environ.get("CHAOS_SEED") or (1 if CHAOS_SECONDS <= 60 else random.randrange(1_000_000)))
SETTLE_SECONDS = float(os.environ.get("CHAOS_SETTLE_SECONDS", "180"))
CARD = "4242424242424242"
PRODUCTS = 3
INITIAL_STOCK = 12
PRICE = Decimal("12.50")
# What a process type may be killed as (the web ones are restarted, never killed).
KILLABLE = ("consumer", "relay", "worker")
CLIENT = Path(sys.executable).parent / "builds-client"
REPOSITORY = "chaos"

content = load_test_content()


@pytest.fixture(scope="module")
def proxies():
    broker = TcpProxy(("127.0.0.1", 5672), name="broker").start()
    database = TcpProxy(("127.0.0.1", 5432), name="postgres").start()
    yield {"broker": broker, "postgres": database}
    broker.stop()
    database.stop()


@pytest.fixture(scope="module")
def platform(proxies, tmp_path_factory):
    env = {
        "BUILDS_STORAGE_DIR": str(tmp_path_factory.mktemp("builds-storage")),
        "BUILDS_UPDATE_REPO_DELAY_SECONDS": "0",
        # A broken connection is noticed within seconds, not the default half minute.
        "CELERY_BROKER_HEARTBEAT_SECONDS": "10",
    }
    workers = {"messaging": ("worker", "beat"), "builds": ("worker", "beat"), "orders": ("worker",)}
    with Platform(
        extra_processes=workers,
        gunicorn_workers=1,
        env=env,
        broker_port=proxies["broker"].port,
        postgres_port=proxies["postgres"].port,
    ) as running:
        yield running


# -- the load -----------------------------------------------------------------------------


class Load:
    """What the actors did, as the platform acknowledged it."""

    def __init__(self, platform: Platform, journal: Journal, stop: threading.Event, deadline: float) -> None:
        self.platform = platform
        self.journal = journal
        self.stop = stop
        self.deadline = deadline  # for retries of a call a fault interrupted
        self.registered: list[str] = []
        self.orders: dict[str, dict] = {}  # id -> {"product", "quantity", "status", "total", "customer"}
        self.messages: list[str] = []
        self.builds: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def client(self, actor: str, token: str | None = None) -> Client:
        return Client(self.platform, self.journal, actor, token)

    def register(self, client: Client) -> str:
        """A new account; retried with the same address until the answer is definitive (a 409
        after an unanswered attempt means that attempt did register it)."""
        address = f"chaos-{uuid.uuid4().hex[:10]}@example.com"
        client.until(
            lambda: client.call(
                "POST",
                "/api/v1/auth/register/",
                service="identity",
                json_body={"email": address, "password": CUSTOMER_PASSWORD},
            ),
            lambda c: c.status in (201, 409),
            deadline=self.deadline,
        )
        with self.lock:
            self.registered.append(address)
        return address

    def login(self, client: Client, address: str) -> None:
        answer = client.until(
            lambda: client.call(
                "POST",
                "/api/v1/auth/login/",
                service="identity",
                json_body={"email": address, "password": CUSTOMER_PASSWORD},
            ),
            lambda c: c.status == 200,
            deadline=self.deadline,
        )
        client.token = answer.body["data"]["access"]
        client.credentials = {"email": address, "password": CUSTOMER_PASSWORD}

    def run(self, name: str, body) -> threading.Thread:
        def guarded():
            try:
                body()
            except Exception as exc:  # reported by the test, with the actor's name
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                self.stop.set()

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        return thread

    # -- actors ----------------------------------------------------------------------------

    def registrar(self) -> None:
        client = self.client("registrar")
        while not self.stop.wait(0.4):
            self.register(client)

    def shopper(self, index: int, products: list[dict]) -> None:
        client = self.client(f"shopper-{index}")
        self.login(client, self.register(client))
        rng = random.Random(SEED + index)
        turn = 0
        while not self.stop.is_set():
            turn += 1
            product = rng.choice(products)
            quantity = rng.choice((1, 2))
            self.checkout(client, product, quantity, cancel=turn % 4 == 0)

    def checkout(self, client: Client, product: dict, quantity: int, *, cancel: bool) -> None:
        client.until(
            lambda: client.call(
                "POST",
                "/api/v1/cart/items/",
                service="orders",
                json_body={"product_id": product["id"], "quantity": quantity},
            ),
            lambda c: c.status in (200, 201),
            deadline=self.deadline,
        )
        key = str(uuid.uuid4())
        placed = client.until(
            lambda: client.call(
                "POST",
                "/api/v1/orders/",
                service="orders",
                json_body={"shipping_address": ADDRESS},
                headers={"Idempotency-Key": key},
            ),
            lambda c: c.status == 201,
            deadline=self.deadline,
        )
        order = placed.body["data"]
        # What the order holds, not what was asked: an add to cart a fault left unanswered may
        # have been applied before its retry (adding to a cart is not idempotent).
        total = Decimal(order["total"])
        record = {"product": product["id"], "quantity": int(total / PRICE), "total": total}
        record.update(status="pending", customer=client.actor)
        with self.lock:
            self.orders[order["id"]] = record
        path = f"/api/v1/orders/{order['id']}/"
        status = self.status_after(client, path, "pending", deadline=time.monotonic() + SETTLE_SECONDS)
        if status == "confirmed":
            if cancel:
                client.until(
                    lambda: client.call("POST", f"{path}cancel/", service="orders"),
                    lambda c: c.status in (200, 409),
                    deadline=self.deadline,
                )
            else:
                client.until(
                    lambda: client.call(
                        "POST",
                        "/api/v1/payments/",
                        service="orders",
                        json_body={"order_id": order["id"], "payment_method": CARD},
                    ),
                    lambda c: c.status == 201 or (c.status == 409 and self.is_paid(client, path)),
                    deadline=self.deadline,
                )
            status = self.status_after(client, path, "confirmed", deadline=self.deadline)
        record["status"] = status

    def is_paid(self, client: Client, path: str) -> bool:
        answer = client.call("GET", path, service="orders")
        return answer.status == 200 and answer.body["data"]["status"] == "paid"

    def status_after(self, client: Client, path: str, passing: str, *, deadline: float) -> str:
        def moved(call):
            return call.status == 200 and call.body["data"]["status"] != passing

        return client.until(
            lambda: client.call("GET", path, service="orders"), moved, deadline=deadline, pause=0.3
        ).body["data"]["status"]

    def messenger(self) -> None:
        client = self.client("messenger")
        self.login(client, self.register(client))
        sessions = "/api/v1/messaging/sessions/"
        started = client.until(
            lambda: client.call("POST", sessions, service="messaging"),
            lambda c: c.status in (200, 201),  # 200: an unanswered attempt started it
            deadline=self.deadline,
        )
        session = f"{sessions}{started.body['data']['id']}/"

        def scanned(call):
            # Scan whenever the session waits for it (an unanswered scan may have worked, or
            # the code it showed may have expired): done once the phone is working.
            status = call.body["data"]["status"] if call.status == 200 else None
            shown = status == "scan_qr_code" and client.call("GET", f"{session}qr/", service="messaging")
            if shown and shown.status == 200:  # the phone scans the code the page shows
                client.call("POST", f"{session}scan/", service="messaging")
            return status == "working"

        client.until(
            lambda: client.call("GET", session, service="messaging"),
            scanned,
            deadline=self.deadline,
            pause=0.5,
        )
        self.messenger_client = client
        number = 0
        while not self.stop.wait(0.8):
            number += 1
            key = str(uuid.uuid4())
            sent = client.until(
                lambda number=number, key=key: client.call(
                    "POST",
                    "/api/v1/messaging/messages/",
                    service="messaging",
                    json_body={"to": "+34 600 00 00 01", "text": f"chaos message {number}"},
                    headers={"Idempotency-Key": key},
                ),
                lambda c: c.status == 202,
                deadline=self.deadline,
            )
            with self.lock:
                self.messages.append(sent.body["data"]["id"])

    def builder(self, token: str, workdir: Path) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            app_id = f"org.example.Chaos{number}"
            app = content.make_app(workdir, app_id=app_id, text=f"chaos {number}")
            while True:  # a push a fault broke is pushed again, as CI would retry the job
                pushed = subprocess.run(
                    [CLIENT, "--poll-interval=0.3", "push", "--publish", "--wait-update-repo"]
                    + [self.platform.url("/flat-manager/"), REPOSITORY, str(app.path)],
                    env={**os.environ, "REPO_TOKEN": token},
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                if pushed.returncode == 0:
                    break
                self.journal.note(f"build push of {app_id} failed, pushing again: {pushed.stdout[-300:]}")
                if time.monotonic() > self.deadline:
                    raise AssertionError(f"{app_id} never published:\n{pushed.stdout}\n{pushed.stderr}")
                time.sleep(1)
            with self.lock:
                self.builds.append(app_id)


# -- the faults ---------------------------------------------------------------------------


def fault_script(platform, proxies, supervisor, journal, stop: threading.Event) -> None:
    """A cycle of faults, repeated until the load's time is up; random choices come from SEED."""
    rng = random.Random(SEED)
    cutter = PathCutter(journal)
    killable = sorted(name for name in platform.children if name.rsplit("-", 1)[-1] in KILLABLE)
    webs = ["orders", "identity", "catalog", "messaging", "analytics", "builds"]
    rng.shuffle(webs)
    cycle = 0
    while not stop.is_set():
        web = webs[cycle % len(webs)]
        steps = [
            lambda: cutter.cut(proxies["broker"], "broker", rng.uniform(4, 8), stop),
            lambda: [supervisor.kill(name) for name in rng.sample(killable, 3)],
            lambda: cutter.cut(proxies["postgres"], "postgres", rng.uniform(2, 5), stop),
            lambda web=web: supervisor.restart_web(web),
            lambda: [supervisor.kill(name) for name in rng.sample(killable, 4)],
        ]
        for step in steps:
            if stop.wait(rng.uniform(3, 6)):
                return
            step()
        cycle += 1


# -- settling and the checks --------------------------------------------------------------


def mails(platform: Platform) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(platform.mail_dir.glob("*.eml"))
    ]


def dead_letters(platform: Platform) -> dict[str, int]:
    result = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", platform.vhost, "name", "messages"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    counts = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].endswith(".dlq") and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.skipif(not _rabbitmqctl("status"), reason="the dead-letter check needs rabbitmqctl")
def test_the_platform_loses_nothing_under_faults(platform, proxies, tmp_path):
    print(f"chaos: CHAOS_SECONDS={CHAOS_SECONDS:g} CHAOS_SEED={SEED}", flush=True)
    # The window analytics is asked about opens before the admin is created: its sign-up is
    # counted, always (opened after it, a sign-up a moment before would sometimes fall inside).
    period_start = datetime.now(UTC) - timedelta(seconds=1)
    admin = create_admin(platform)
    journal = Journal()
    staff = Client(platform, journal, "admin", admin.headers["Authorization"].split()[1])
    staff.credentials = {"email": admin.email, "password": ADMIN_PASSWORD}

    category = staff.call(
        "POST", "/api/v1/catalog/categories/", service="catalog", json_body={"name": "Chaos", "parent": None}
    )
    assert category.status == 201, describe(category)
    products = []
    for number in range(PRODUCTS):
        created = staff.call(
            "POST",
            "/api/v1/catalog/products/",
            service="catalog",
            json_body={
                "sku": f"CHAOS-{number}-{uuid.uuid4().hex[:6]}",
                "name": f"Chaos widget {number}",
                "price": str(PRICE),
                "currency": "USD",
                "stock": INITIAL_STOCK,
                "category": category.body["data"]["id"],
            },
        )
        assert created.status == 201, describe(created)
        products.append(created.body["data"])
    repo = staff.call(
        "POST", "/api/v1/builds/repos/", service="builds", json_body={"name": REPOSITORY, "title": "Chaos"}
    )
    assert repo.status == 201, describe(repo)
    build_token = staff.call(
        "POST",
        "/api/v1/builds/tokens/",
        service="builds",
        json_body={
            "name": "chaos-ci",
            "sub": "build",
            "scope": ["build", "upload", "publish", "jobs"],
            "repos": [REPOSITORY],
            "prefixes": ["org.example"],
            "duration": 3600,
        },
    )
    assert build_token.status == 201, describe(build_token)

    stop = threading.Event()
    load = Load(platform, journal, stop, deadline=time.monotonic() + CHAOS_SECONDS + SETTLE_SECONDS)
    with Supervisor(platform, journal) as supervisor:
        actors = [
            load.run("registrar", load.registrar),
            load.run("messenger", load.messenger),
            load.run("builder", lambda: load.builder(build_token.body["data"]["token"], tmp_path)),
            *(load.run(f"shopper-{i}", lambda i=i: load.shopper(i, products)) for i in range(4)),
        ]
        faults = threading.Thread(
            target=fault_script, args=(platform, proxies, supervisor, journal, stop), daemon=True
        )
        faults.start()
        stop.wait(CHAOS_SECONDS)
        stop.set()
        faults.join(timeout=120)
        for proxy in proxies.values():
            proxy.restore()
        for actor in actors:
            actor.join(timeout=SETTLE_SECONDS + 60)
        assert not load.errors, load.errors
        assert not any(actor.is_alive() for actor in actors), "an actor is stuck"
        journal.note(
            f"load done: {len(load.registered)} sign-ups, {len(load.orders)} orders, "
            f"{len(load.messages)} messages, {len(load.builds)} builds; settling"
        )

        # -- orders and stock --------------------------------------------------------------
        final = {"paid", "cancelled", "rejected"}
        assert {o["status"] for o in load.orders.values()} <= final, load.orders
        paid = Counter()
        for order in load.orders.values():
            if order["status"] == "paid":
                paid[order["product"]] += order["quantity"]

        def stock_matches():
            seen = {}
            for product in products:
                got = staff.call("GET", f"/api/v1/catalog/products/{product['id']}/", service="catalog")
                if got.status != 200:
                    return None
                data = got.body["data"]
                seen[product["id"]] = (data["stock"], data["reserved"])
            wanted = {p["id"]: (INITIAL_STOCK - paid[p["id"]], 0) for p in products}
            stock_matches.last = (seen, wanted)
            return seen == wanted

        assert poll(stock_matches, timeout=SETTLE_SECONDS, interval=1.0), stock_matches.last

        # -- notifications: each exactly once ----------------------------------------------
        def reference(order_id: str) -> str:
            return "#" + order_id.replace("-", "")[:8].upper()

        by_status: dict[str, set[str]] = {}
        for order_id, order in load.orders.items():
            by_status.setdefault(order["status"], set()).add(reference(order_id))
        wanted = {
            # kind -> the recipients (addresses) or orders (references) it must reach, once each
            "email_verification": set(load.registered),
            "welcome": set(load.registered),
            "order_placed": {reference(order_id) for order_id in load.orders},
            # every cancelled order of this load was cancelled once confirmed
            "order_confirmed": by_status.get("paid", set()) | by_status.get("cancelled", set()),
            "order_paid": by_status.get("paid", set()),
            "order_cancelled": by_status.get("cancelled", set()),
            "order_rejected": by_status.get("rejected", set()),
        }

        def mail_counts():
            sent = mails(platform)
            counts: dict[str, Counter] = {kind: Counter() for kind in wanted}
            for message in sent:
                kind = message["X-Notification-Kind"]
                if kind in ("email_verification", "welcome"):
                    counts[kind][message["To"]] += 1
                elif kind in counts:
                    counts[kind][re.search(r"#[0-9A-F]{8}", message["Subject"])[0]] += 1
            mail_counts.last = (sent, counts)
            return all(set(counts[kind]) >= targets for kind, targets in wanted.items())

        poll(mail_counts, timeout=SETTLE_SECONDS, interval=1.0)
        sent, counts = mail_counts.last
        for kind, targets in wanted.items():
            missing = targets - set(counts[kind])
            assert not missing, f"{kind}: never sent to {sorted(missing)}"
            twice = {target: n for target, n in counts[kind].items() if n > 1 and target in targets}
            assert not twice, f"{kind}: sent more than once: {twice}"
        repeated = [n for n, c in Counter(m["X-Notification-ID"] for m in sent).items() if c > 1]
        assert not repeated, f"notifications sent more than once: {repeated}"

        # -- messages: delivered and read, counted once ----------------------------------------
        messenger = load.messenger_client

        def messages_read():
            statuses = {}
            for message_id in load.messages:
                got = messenger.call("GET", f"/api/v1/messaging/messages/{message_id}/", service="messaging")
                statuses[message_id] = got.body["data"]["status"] if got.status == 200 else got.status
            messages_read.last = statuses
            return set(statuses.values()) <= {"read"}

        assert poll(messages_read, timeout=SETTLE_SECONDS, interval=1.0), Counter(messages_read.last.values())
        quota = messenger.call("GET", "/api/v1/messaging/quotas/me/", service="messaging")
        assert quota.body["data"]["used"] == len(load.messages)

        # -- builds: every pushed app is published ---------------------------------------------
        if load.builds:
            listed = content.flatpak_remote_ls(platform.url(f"/repo/{REPOSITORY}/"), tmp_path / "home")
            for app_id in load.builds:
                assert f"app/{app_id}/x86_64/stable" in listed, listed

        # -- analytics: exactly what was done --------------------------------------------------
        period = {
            "from": period_start.isoformat(),
            "to": (period_start + timedelta(hours=2)).isoformat(),
            "granularity": "hour",
        }

        def total(metric: str, column: str) -> int | None:
            got = staff.call(
                "GET", f"/api/v1/analytics/metrics/{metric}/", service="analytics", params=period
            )
            return sum(row[column] for row in got.body["data"]) if got.status == 200 else None

        def revenue() -> dict[str, Decimal]:
            got = staff.call("GET", "/api/v1/analytics/metrics/revenue/", service="analytics", params=period)
            sums: dict[str, Decimal] = {}
            for row in got.body["data"] if got.status == 200 else []:
                sums[row["currency"]] = sums.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
            return sums

        paid_total = sum((o["total"] for o in load.orders.values() if o["status"] == "paid"), Decimal(0))
        expected = {
            "signups": len(load.registered) + 1,  # and the admin's
            "orders": len(load.orders),
            "placed": len(load.orders),
            "paid": sum(1 for o in load.orders.values() if o["status"] == "paid"),
            "revenue": {"USD": paid_total} if paid_total else {},
        }

        def counted():
            counted.last = {
                "signups": total("signups", "signups"),
                "orders": total("orders", "orders"),
                "placed": total("checkout-conversion", "placed"),
                "paid": total("checkout-conversion", "paid"),
                "revenue": revenue(),
            }
            return counted.last == expected

        assert poll(counted, timeout=SETTLE_SECONDS, interval=1.0), (counted.last, expected)

        # -- the dead-letter queues ------------------------------------------------------------
        letters = {queue: n for queue, n in dead_letters(platform).items() if n}
        assert not letters, f"dead-lettered events: {letters}"

    # -- the answers -----------------------------------------------------------------------
    print("\n".join(journal.faults), flush=True)
    print(f"process exits (restarted by the supervisor): {journal.exits}", flush=True)
    errors = journal.server_errors()
    unexplained = journal.unexplained()
    print(
        f"{len(journal.calls)} requests, {len(errors)} 5xx or unanswered, {len(unexplained)} outside a fault window"
    )
    assert not unexplained, "\n".join(describe(c) for c in unexplained[:20])
    assert re.search(r"cut broker", "\n".join(journal.faults)), "the broker path was never cut"
