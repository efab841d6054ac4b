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
``api_key_server``
    :class:`~servicekit.testing.api_keys.ApiKeyServer`: identity's API-key introspection on a
    real local HTTP server, with ``SERVICEKIT["JWT"]["API_KEY_INTROSPECTION_URL"]`` pointing at
    it; ``new_key(roles=..., scopes=..., user_id=...)`` makes a key it knows.
``api_key_client_for``
    ``api_key_client_for(user_id=None, *, roles=("customer",), scopes=())`` → an ``APIClient``
    sending ``Authorization: ApiKey <key>``; it carries ``.user_id`` and ``.key``.
``web_client_for``
    ``web_client_for(area, *, roles=("customer",), user_id=None, enforce_csrf=False,
    **claim_overrides)`` → a Django test ``Client`` signed in to a ``servicekit.websession`` area
    (the access and refresh cookies its login page would have set), with ``.user_id``.
``identity_sessions``
    :class:`~servicekit.testing.websessions.IdentitySessions`: identity's refresh and logout
    endpoints on a real local HTTP server, ``SERVICEKIT["IDENTITY_INTERNAL_URL"]`` pointing at
    it; ``refusing``, ``issued``, ``user_id``, ``server.requests``.
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


@pytest.fixture
def web_client_for(token_factory) -> Callable[..., Any]:
    from servicekit.testing.websessions import web_client

    def make(area: Any, **options: Any) -> Any:
        return web_client(token_factory, area, **options)

    return make


@pytest.fixture
def identity_sessions(token_factory, settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from servicekit.testing.websessions import IdentitySessions

    identity = IdentitySessions(token_factory)
    with identity.server:
        monkeypatch.setitem(settings.SERVICEKIT, "IDENTITY_INTERNAL_URL", identity.server.url)
        yield identity


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


def _clients_signed_by(credentials: Callable[..., tuple[str, dict[str, str]]]) -> Callable[..., Any]:
    """``make(user_id=None, *, roles=("customer",), scopes=(), **more)``: an ``APIClient`` for
    that user (a new id if none) sending the ``Authorization`` that ``credentials(user_id,
    roles=…, scopes=…, **more)`` returns, and carrying ``.user_id`` and the attributes it
    returns with it (``.token``, ``.key``)."""
    from rest_framework.test import APIClient

    def make(
        user_id: str | uuid.UUID | None = None,
        *,
        roles: Iterable[str] = ("customer",),
        scopes: Iterable[str] = (),
        **more: Any,
    ) -> Any:
        user_id = str(user_id or uuid.uuid4())
        authorization, attributes = credentials(user_id, roles=list(roles), scopes=list(scopes), **more)
        client: Any = APIClient()  # carries .user_id and the attributes too
        client.credentials(HTTP_AUTHORIZATION=authorization)
        client.user_id = user_id
        for name, value in attributes.items():
            setattr(client, name, value)
        return client

    return make


@pytest.fixture
def client_for(token_factory) -> Callable[..., Any]:
    """A client signed in as a user: a token with ``roles``, ``scopes`` and any claim overrides."""

    def bearer(user_id: str, *, roles: list[str], scopes: list[str], **claim_overrides: Any):
        token = token_factory.access_token(user_id, roles=roles, scopes=scopes, **claim_overrides)
        return f"Bearer {token}", {"token": token}

    return _clients_signed_by(bearer)


@pytest.fixture
def api_key_server(settings) -> Iterator[Any]:
    from servicekit.auth import forget_api_key
    from servicekit.testing.api_keys import ApiKeyServer

    server = ApiKeyServer(settings.SERVICEKIT["INTERNAL_API_TOKEN"])
    server.server.start()
    settings.SERVICEKIT["JWT"]["API_KEY_INTROSPECTION_URL"] = server.url  # servicekit_auth restores it
    yield server
    server.server.stop()
    for key in server.keys:
        forget_api_key(key.split(".")[0])


@pytest.fixture
def api_key_client_for(api_key_server) -> Callable[..., Any]:
    """A client sending a user's API key, with ``roles`` and ``scopes``."""

    def api_key(user_id: str, *, roles: list[str], scopes: list[str]):
        key = api_key_server.new_key(user_id=user_id, roles=roles, scopes=scopes)
        return f"ApiKey {key}", {"key": key}

    return _clients_signed_by(api_key)


@pytest.fixture
def auth_client(client_for):
    return client_for()


@pytest.fixture
def staff_client(client_for):
    return client_for(roles=("staff",))


from servicekit.testing.events import *  # noqa: E402,F403  (captured_events, deliver_event)
