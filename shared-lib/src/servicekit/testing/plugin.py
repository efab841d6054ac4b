"""pytest plugin (registered through the ``pytest11`` entry point).

Imported before pytest-django configures Django, so it can select the test
environment: fast password hashing, no production checks. Django is only imported
inside fixtures.

Authentication fixtures, for every service's test suite:

``token_factory`` (session)
    :class:`~servicekit.testing.tokens.TokenFactory`: mints identity-shaped RS256 tokens
    (``access_token(user_id, roles=..., scopes=..., **claim_overrides)``, ``refresh_token``,
    ``forge`` for unsigned/HS256 forgeries, ``new_key`` for rotation).
``jwks_server`` (session)
    :class:`~servicekit.testing.jwks_server.JwksServer`: a real HTTP JWKS endpoint on
    127.0.0.1 publishing the factory's keys; ``publish``/``withdraw`` keys, ``available``,
    ``fetch_count``.
``servicekit_auth`` (autouse, when Django is configured)
    Before each test: points ``SERVICEKIT["JWT"]["JWKS_URL"]`` at ``jwks_server``, publishes
    the factory's keys, resets the server's request count and clears the process's JWKS and
    verified-token caches. After each test: restores ``SERVICEKIT["JWT"]`` (so tests may
    change its values freely) and clears the caches again.
``api_client``
    An unauthenticated DRF ``APIClient``.
``client_for``
    ``client_for(user_id=None, *, roles=("customer",), scopes=(), **claim_overrides)`` → an
    ``APIClient`` sending ``Authorization: Bearer <token>``; it carries ``.user_id`` (a fresh
    UUID string unless given) and ``.token``.
``auth_client`` / ``staff_client``
    ``client_for()`` as a customer / as ``roles=("staff",)``.
``servicekit_openapi`` (autouse, when Django is configured)
    Every response any Django or DRF test client receives is checked against the service's
    own OpenAPI document (:mod:`servicekit.testing.openapi`); one the document does not
    describe fails the test.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ENV", "test")


def _django_with_servicekit() -> bool:
    try:
        from django.conf import settings
        from pytest_django.lazy_django import django_settings_is_configured
    except ImportError:
        return False
    return django_settings_is_configured() and hasattr(settings, "SERVICEKIT")


def _clear_auth_caches() -> None:
    from servicekit.auth.jwks import jwks_cache
    from servicekit.auth.revocations import revocations
    from servicekit.auth.tokens import verified_tokens

    jwks_cache.clear()
    verified_tokens.clear()
    revocations.clear()


@pytest.fixture(scope="session")
def token_factory():
    from servicekit.testing.tokens import TokenFactory

    return TokenFactory()


@pytest.fixture(scope="session")
def jwks_server(token_factory) -> Iterator[Any]:
    from servicekit.testing.jwks_server import JwksServer

    server = JwksServer(token_factory.jwks()).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def servicekit_auth(request: pytest.FixtureRequest) -> Iterator[None]:
    if not _django_with_servicekit():
        yield
        return
    from django.conf import settings

    token_factory = request.getfixturevalue("token_factory")
    server = request.getfixturevalue("jwks_server")
    server.set_document(token_factory.jwks())
    server.available = True
    server.reset_requests()

    jwt_conf = settings.SERVICEKIT["JWT"]
    saved = copy.deepcopy(jwt_conf)
    jwt_conf["JWKS_URL"] = server.jwks_url
    _clear_auth_caches()
    try:
        yield
    finally:
        jwt_conf.clear()
        jwt_conf.update(saved)
        _clear_auth_caches()


@pytest.fixture(autouse=True)
def servicekit_openapi(monkeypatch: pytest.MonkeyPatch) -> None:
    if not _django_with_servicekit():
        return
    from django.test.client import Client

    from servicekit.testing.openapi import check_response

    send = Client.request  # DRF's APIClient sends through it too

    def request_checked(self: Client, **request: Any) -> Any:
        response = send(self, **request)
        check_response(response)
        return response

    monkeypatch.setattr(Client, "request", request_checked)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(token_factory) -> Callable[..., Any]:
    from rest_framework.test import APIClient

    def make(
        user_id: str | uuid.UUID | None = None,
        *,
        roles: Iterable[str] = ("customer",),
        scopes: Iterable[str] = (),
        **claim_overrides: Any,
    ) -> APIClient:
        user_id = str(user_id or uuid.uuid4())
        token = token_factory.access_token(user_id, roles=roles, scopes=scopes, **claim_overrides)
        client: Any = APIClient()  # carries .user_id and .token too
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.user_id = user_id
        client.token = token
        return client

    return make


@pytest.fixture
def auth_client(client_for):
    return client_for()


@pytest.fixture
def staff_client(client_for):
    return client_for(roles=("staff",))


from servicekit.testing.events import *  # noqa: E402,F403  (captured_events, deliver_event)
