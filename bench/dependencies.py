#!/usr/bin/env python3
"""The figures behind the dependency choices in docs/architecture.md ("Dependencies").

    .venv/bin/python bench/dependencies.py [--tokens 2000] [--messages 3000] [--rounds 5]

1. Access-token verification per request, in a service (catalog's settings): the calls
   djangorestframework-simplejwt 5.5.1 makes on every request (``TokenBackend.decode`` with
   ``JWK_URL``: PyJWT's ``PyJWKClient`` finds the key, then ``jwt.decode`` checks the RS256
   signature), against servicekit.auth on a token's first sight and on a repeat (its
   verified-token cache). The JWKS comes over HTTP from a local server.
2. identity unreachable once the cached key set is stale (JWKS_CACHE_SECONDS, 300 s, later):
   how many valid tokens each way refuses, and how many fetches it sends identity.
3. Publishing events with publisher confirms to RabbitMQ (quorum queue, persistent
   messages): pika with pipelined confirms, a batch at a time (what servicekit's relay
   does), against one confirm round trip per message (pika's BlockingChannel, and kombu's
   Producer with ``confirm_publish``, which Celery uses here), and py-amqp (kombu's
   transport) pipelined through its ``basic_ack`` hook.

Throwaway exchange and queue names, removed at the end; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = uuid.uuid4().hex[:6]
BROKER_URL = os.environ.get("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
BATCH = 500  # the relay's default batch (EVENTS_RELAY_BATCH_SIZE)


def median_us(operation: Callable[[int], object], count: int) -> float:
    samples = []
    for n in range(count):
        started = time.perf_counter()
        operation(n)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


# --- 1 and 2: JWT verification ---------------------------------------------------------------


def configure_django(jwks_url: str) -> None:
    sys.path.insert(0, str(ROOT / "services" / "catalog"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
    os.environ.setdefault("DJANGO_ENV", "development")
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # the outage below logs a warning per fetch
    os.environ["JWT_JWKS_URL"] = jwks_url
    os.environ["CACHE_KEY_PREFIX"] = f"bench-deps-{RUN}"
    import django

    django.setup()


class SimpleJwtWay:
    """What simplejwt 5.5.1's ``TokenBackend.decode`` does with ``JWK_URL`` set: its client is
    ``PyJWKClient(jwk_url)`` with PyJWT's defaults, asked for the key on every request."""

    def __init__(self, jwks_url: str) -> None:
        from django.conf import settings
        from jwt import PyJWKClient

        self.client = PyJWKClient(jwks_url)
        self.conf = settings.SERVICEKIT["JWT"]

    def verify(self, token: str) -> dict:
        import jwt

        return jwt.decode(
            token,
            self.client.get_signing_key_from_jwt(token).key,
            algorithms=["RS256"],
            audience=self.conf["AUDIENCE"],
            issuer=self.conf["ISSUER"],
            leeway=self.conf["LEEWAY_SECONDS"],
            options={"verify_aud": True, "verify_signature": True},
        )

    def refuses(self, token: str) -> bool:
        from jwt.exceptions import PyJWKClientError, PyJWTError

        try:
            self.verify(token)
        except (PyJWKClientError, PyJWTError):  # simplejwt: TokenBackendError, a 401
            return True
        return False


def servicekit_refuses(token: str) -> bool:
    from rest_framework.exceptions import APIException

    from servicekit.auth.tokens import verify_access_token
    from servicekit.envelope.errors import ApplicationError

    try:
        verify_access_token(token)
    except (APIException, ApplicationError):
        return True
    return False


def verification(count: int) -> None:
    from servicekit.testing.jwks_server import JwksServer
    from servicekit.testing.tokens import TokenFactory

    factory = TokenFactory(issuer="platform-identity", audience="platform")
    identity = JwksServer(factory.jwks()).start()
    configure_django(identity.jwks_url)
    from jwt.algorithms import RSAAlgorithm

    from servicekit.auth.jwks import jwks_cache
    from servicekit.auth.tokens import verified_tokens, verify_access_token

    tokens = [factory.access_token(lifetime=900) for _ in range(count)]
    simplejwt = SimpleJwtWay(identity.jwks_url)
    simplejwt.verify(tokens[0])  # the JWKS fetches happen before the clock starts
    verify_access_token(tokens[0])
    verified_tokens.clear()
    public_key = RSAAlgorithm.from_jwk(factory.public_jwk())
    conf = simplejwt.conf

    import jwt

    def decode_alone(n: int) -> None:
        jwt.decode(
            tokens[n],
            public_key,
            algorithms=["RS256"],
            audience=conf["AUDIENCE"],
            issuer=conf["ISSUER"],
            leeway=conf["LEEWAY_SECONDS"],
        )

    print(f"1. access-token verification per request (RS256, 2048-bit, median of {count}):")
    rows = [
        ("simplejwt's calls: PyJWKClient key lookup + jwt.decode", lambda n: simplejwt.verify(tokens[n])),
        ("  of which jwt.decode alone (key in hand)", decode_alone),
        ("servicekit, first sight of a token", lambda n: verify_access_token(tokens[n])),
        ("servicekit, repeat token (verified-token cache)", lambda n: verify_access_token(tokens[n])),
    ]
    for name, operation in rows:
        print(f"   {name:<58} {median_us(operation, count):8.1f} µs")

    # 2. identity stops answering; both key caches are then past their lifetime.
    identity.available = False
    identity.reset_requests()
    simplejwt.client.jwk_set_cache.lifespan = 0  # PyJWKClient's 300 s have passed
    skipped = conf["JWKS_CACHE_SECONDS"] + 1
    jwks_cache.clock = lambda: time.monotonic() + skipped  # and servicekit's JWKS_CACHE_SECONDS
    seen, unseen = tokens[:100], [factory.access_token(lifetime=900) for _ in range(100)]
    print("2. identity unreachable, cached key set stale: valid tokens refused, fetches sent to identity")
    refused = sum(simplejwt.refuses(t) for t in seen + unseen)
    print(
        f"   simplejwt's way (PyJWKClient)      {refused:3d} of 200 refused, {identity.request_count:3d} fetches"
    )
    identity.reset_requests()
    refused = sum(servicekit_refuses(t) for t in seen + unseen)
    print(
        f"   servicekit (last good keys kept)   {refused:3d} of 200 refused, {identity.request_count:3d} fetches"
    )
    jwks_cache.clock = time.monotonic
    identity.stop()


# --- 3: publishing with confirms ---------------------------------------------------------------


def declare(exchange: str, queue: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(queue, exchange, routing_key="#")
    connection.close()


def delete(exchange: str, queue: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    channel.queue_delete(queue)
    channel.exchange_delete(exchange)
    connection.close()


def pika_pipelined(exchange: str, body: bytes, count: int) -> float:
    """SelectConnection: a batch written in one go, its confirms collected as they arrive."""
    from events_support.pipelined import publish_pipelined

    return publish_pipelined(
        BROKER_URL, exchange, "bench.thing.happened", body, count, window=BATCH, whole_batches=True
    )


def pika_one_by_one(exchange: str, body: bytes, count: int) -> float:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    channel.confirm_delivery()  # basic_publish now waits for the broker's ack
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    started = time.perf_counter()
    for _ in range(count):
        channel.basic_publish(exchange, "bench.thing.happened", body, properties)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def kombu_confirmed(exchange: str, body: bytes, count: int) -> float:
    import kombu

    with kombu.Connection(BROKER_URL, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer(exchange=kombu.Exchange(exchange, "topic", durable=True))
        started = time.perf_counter()
        for _ in range(count):
            producer.publish(
                body,
                routing_key="bench.thing.happened",
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                declare=[],
            )
        return time.perf_counter() - started


def py_amqp_pipelined(exchange: str, body: bytes, count: int) -> float:
    """kombu's transport, below kombu's API: confirms counted from the channel's ack hook."""
    import amqp
    import kombu

    with kombu.Connection(BROKER_URL) as connection:
        channel = connection.connection.channel()
        channel.confirm_select()
        confirmed = {"tag": 0}
        channel.events["basic_ack"].add(
            lambda tag, multiple: confirmed.update(tag=max(confirmed["tag"], tag))
        )
        started = time.perf_counter()
        sent = 0
        while sent < count:
            for _ in range(min(BATCH, count - sent)):
                message = amqp.Message(body, content_type="application/json", delivery_mode=2)
                channel.basic_publish(message, exchange=exchange, routing_key="bench.thing.happened")
                sent += 1
            while confirmed["tag"] < sent:
                connection.connection.drain_events(timeout=10)
        elapsed = time.perf_counter() - started
        channel.close()
        return elapsed


def publishing(count: int, rounds: int) -> None:
    body = (b'{"id": "%s", "type": "bench.thing.happened", "data": {"padding": "' + b"x" * 300 + b'"}}') % (
        uuid.uuid4().hex.encode()
    )
    ways = [
        (f"pika, pipelined, {BATCH} a batch (servicekit's relay)", pika_pipelined),
        ("pika BlockingChannel, one confirm per message", pika_one_by_one),
        ("kombu Producer, confirm_publish (Celery here)", kombu_confirmed),
        (f"py-amqp under kombu, pipelined, {BATCH} a batch", py_amqp_pipelined),
    ]
    rates: dict[str, list[float]] = {name: [] for name, _ in ways}
    # Interleaved rounds: the broker and the shared CPU drift, a way measured once can be lucky.
    for _ in range(rounds):
        for name, publish in ways:
            exchange = queue = f"bench-{RUN}.deps.{publish.__name__}"
            declare(exchange, queue)
            try:
                rates[name].append(count / publish(exchange, body, count))
            finally:
                delete(exchange, queue)
    print(
        f"3. publishing {count} persistent events ({len(body)} bytes) with publisher confirms, "
        f"{rounds} interleaved rounds:"
    )
    for name, measured in rates.items():
        low, high = min(measured), max(measured)
        print(f"   {name:<58} {statistics.median(measured):8.0f} msg/s (median; {low:.0f}-{high:.0f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    verification(args.tokens)
    publishing(args.messages, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
