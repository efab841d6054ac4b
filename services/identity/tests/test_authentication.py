"""identity authenticates its own requests in-process: no HTTP request to itself.

Every other service verifies identity's tokens against the JWKS it fetches and asks the
introspection endpoint about API keys (servicekit.auth); identity uses its own key ring and
database instead, with the same checks, error codes and principal.
"""

from __future__ import annotations

import time

import jwt
import pytest
from rest_framework.test import APIClient

from identity.apikeys.services import api_key_create, api_key_revoke
from identity.tokens.keys import current_keyring, public_pem
from identity.tokens.signing import access_token_sign
from servicekit.auth.revocations import revocations
from servicekit.testing.http_server import LocalHttpServer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ME = "/api/v1/auth/me/"


def signed_by_identity(claims: dict, headers: dict | None = None) -> str:
    keyring = current_keyring()
    return jwt.encode(
        claims,
        keyring.signing_key,
        algorithm="RS256",
        headers={"kid": keyring.signing_kid, **(headers or {})},
    )


def me(authorization: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(ME)


@pytest.fixture
def introspection_server(settings):
    """Where servicekit would ask about API keys: it must never be asked."""
    server = LocalHttpServer(lambda request: (500, {"error": "identity must not call itself"})).start()
    settings.SERVICEKIT["JWT"]["API_KEY_INTROSPECTION_URL"] = f"{server.url}/internal/api-keys/introspect/"
    yield server
    server.stop()


def test_a_bearer_request_fetches_no_jwks(user, jwks_server):
    before = jwks_server.fetch_count
    for _ in range(2):
        response = me(f"Bearer {access_token_sign(user).token}")
        assert response.status_code == 200 and response.json()["data"]["id"] == str(user.pk)
    assert jwks_server.fetch_count == before


def test_a_bearer_request_works_while_identitys_jwks_url_is_unreachable(user, jwks_server):
    jwks_server.available = False
    assert me(f"Bearer {access_token_sign(user).token}").status_code == 200
    assert jwks_server.fetch_count == 0


def test_an_api_key_request_makes_no_introspection_call(user, introspection_server):
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    response = me(f"ApiKey {raw_key}")
    assert response.status_code == 200 and response.json()["data"]["id"] == str(user.pk)
    assert introspection_server.requests == []
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None  # identity's own bookkeeping ran


def test_a_revoked_api_key_is_refused_at_once(user, introspection_server):
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["account:read"])
    assert me(f"ApiKey {raw_key}").status_code == 200
    api_key_revoke(api_key=api_key)
    refused = me(f"ApiKey {raw_key}")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "api_key_invalid"
    assert introspection_server.requests == []


@pytest.mark.parametrize("key", ["garbage", "ik_0123456789abcdef." + "a" * 43, "", "a.b c"])
def test_bad_api_keys_are_401(key, introspection_server):
    response = me(f"ApiKey {key}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_invalid"
    assert introspection_server.requests == []


def test_the_api_key_principal_is_the_one_servicekit_builds(user, introspection_server):
    from identity.authentication import resolve_api_key

    user.roles = ["customer", "vendor"]
    user.save()
    api_key, raw_key = api_key_create(user=user, name="ci", scopes=["orders:read", "catalog:read"])
    principal = resolve_api_key(raw_key)
    assert (principal.id, principal.roles, principal.scopes, principal.auth_method) == (
        str(user.pk),
        {"customer", "vendor"},
        {"orders:read", "catalog:read"},
        "api_key",
    )
    assert dict(principal.claims) == {
        "sub": str(user.pk),
        "roles": ["customer", "vendor"],
        "scope": "catalog:read orders:read",
        "api_key_prefix": api_key.prefix,
        "expires_at": None,
    }


@pytest.fixture
def claims(token_factory, user):
    """Identity-shaped claims for ``user``; tests spoil one of them (``omit`` drops claims)."""

    def make(omit=(), **changes):
        return {**token_factory.claims(str(user.pk), omit=omit), **changes}

    return make


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"exp": int(time.time()) - 3600}, "token_expired"),
        ({"nbf": int(time.time()) + 3600}, "token_not_yet_valid"),
        ({"aud": "someone-else"}, "token_invalid"),
        ({"iss": "someone-else"}, "token_invalid"),
        ({"token_type": "refresh"}, "token_invalid"),
        ({"omit": ["jti"]}, "token_invalid"),
        ({"omit": ["sub"]}, "token_invalid"),
        ({"roles": "admin"}, "token_invalid"),
        ({"scope": ["admin"]}, "token_invalid"),
    ],
)
def test_the_same_claim_checks_as_servicekit(claims, changes, code):
    response = me(f"Bearer {signed_by_identity(claims(**changes))}")
    assert response.status_code == 401 and response.json()["error"]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_well_formed_token_signed_by_identity_passes(claims):
    assert me(f"Bearer {signed_by_identity(claims())}").status_code == 200


def test_a_token_signed_with_a_key_identity_does_not_hold_is_unknown_key(token_factory, user, jwks_server):
    # servicekit's test key is published by the JWKS server, but identity trusts its key ring only.
    response = me(f"Bearer {token_factory.access_token(str(user.pk))}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unknown_key"


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_forged_algorithms_are_refused(token_factory, claims, alg):
    forged = token_factory.forge(
        claims(),
        alg=alg,
        secret=public_pem(current_keyring().signing_key.public_key()),
        headers={"kid": current_keyring().signing_kid},
    )
    response = me(f"Bearer {forged}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer " + "x" * 9000])
def test_malformed_bearer_headers(header):
    response = me(header)
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"


def test_the_revocation_list_is_honoured(user):
    token = access_token_sign(user).token
    assert me(f"Bearer {token}").status_code == 200
    revocations.revoke(str(user.pk), time.time() + 1)  # what the tokens_revoked consumer records
    refused = me(f"Bearer {token}")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"


def test_a_token_of_a_user_identity_does_not_know_is_refused_by_the_views(claims):
    stranger = UserFactory.build()  # never saved
    response = me(f"Bearer {signed_by_identity({**claims(), 'sub': str(stranger.pk)})}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "account_inactive"
