"""Bearer JWT authentication end to end: real JWKS server, the whoami view, envelope errors."""

from __future__ import annotations

import base64
import json
import time

import pytest

from servicekit.auth import (
    jwks_cache,
    verified_tokens,
    verify_access_token,
)
from servicekit.envelope.errors import ApplicationError

WHOAMI = "/api/v1/test/whoami/"


def whoami(client, authorization: str):
    return client.get(WHOAMI, HTTP_AUTHORIZATION=authorization)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.content


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def tampered(factory) -> str:
    header, _, signature = factory.access_token(roles=["customer"]).split(".")
    return ".".join([header, _b64(factory.claims(roles=["admin"])), signature])


def stripped(factory) -> str:
    header, payload, _ = factory.access_token().split(".")
    return f"{header}.{payload}."


def unknown_kid(factory) -> str:
    return factory.access_token(kid=factory.new_key())  # signed by a key nobody published


NOW = int(time.time())

REJECTED = {
    "alg_none": (lambda f: f.forge(f.claims(), alg="none"), "token_invalid"),
    "hs256_public_key_as_secret": (
        lambda f: f.forge(f.claims(), alg="HS256", secret=f.public_pem()),
        "token_invalid",
    ),
    "expired": (
        lambda f: f.access_token(iat=NOW - 7200, nbf=NOW - 7200, exp=NOW - 3600),
        "token_expired",
    ),
    "not_yet_valid": (lambda f: f.access_token(nbf=int(time.time()) + 3600), "token_not_yet_valid"),
    "issued_in_the_future": (
        lambda f: f.access_token(iat=int(time.time()) + 3600, omit=["nbf"]),
        "token_not_yet_valid",
    ),
    "wrong_issuer": (lambda f: f.access_token(iss="someone-else"), "token_invalid"),
    "wrong_audience": (lambda f: f.access_token(aud="another-platform"), "token_invalid"),
    "missing_exp": (lambda f: f.access_token(omit=["exp"]), "token_invalid"),
    "missing_sub": (lambda f: f.access_token(omit=["sub"]), "token_invalid"),
    "missing_jti": (lambda f: f.access_token(omit=["jti"]), "token_invalid"),
    "missing_kid": (lambda f: f.access_token(headers={"kid": None}), "token_invalid"),
    "unknown_kid": (unknown_kid, "unknown_key"),
    "tampered_payload": (tampered, "token_invalid"),
    "stripped_signature": (stripped, "token_invalid"),
    "refresh_token": (lambda f: f.refresh_token(), "token_invalid"),
    "no_token_type": (lambda f: f.access_token(omit=["token_type"]), "token_invalid"),
    "garbage": (lambda f: "not-a-jwt", "token_invalid"),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_rejected_tokens_answer_401_with_a_stable_code(case, api_client, token_factory):
    make, code = REJECTED[case]
    response = whoami(api_client, f"Bearer {make(token_factory)}")
    assert_error(response, 401, code)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_roles_as_a_string_are_rejected_not_split(api_client, token_factory):
    # claims(roles="admin") would be list("admin"); build the claim by hand.
    token = token_factory.sign(token_factory.claims() | {"roles": "admin"})
    assert_error(whoami(api_client, f"Bearer {token}"), 401, "token_invalid")


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b"])
def test_malformed_bearer_header(api_client, header):
    assert_error(whoami(api_client, header), 401, "token_invalid")


def test_no_credentials_is_not_authenticated(api_client):
    response = api_client.get(WHOAMI)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_other_schemes_are_ignored(api_client):
    assert_error(whoami(api_client, "Basic dXNlcjpwYXNz"), 401, "not_authenticated")


@pytest.mark.django_db
def test_valid_token_is_accepted_without_touching_the_database(
    api_client, token_factory, django_assert_num_queries
):
    token = token_factory.access_token(
        "9b2f7a4e-0000-4000-8000-000000000001", roles=["customer", "vendor"], scopes=["a:b", "c"]
    )
    with django_assert_num_queries(0):
        response = whoami(api_client, f"Bearer {token}")
        again = whoami(api_client, f"bearer  {token}")  # scheme is case-insensitive
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {
        "id": "9b2f7a4e-0000-4000-8000-000000000001",
        "roles": ["customer", "vendor"],
        "scopes": ["a:b", "c"],
    }
    assert again.status_code == 200


def test_expiry_within_leeway_is_accepted(api_client, token_factory):
    token = token_factory.access_token(exp=int(time.time()) - 5)  # leeway is 30 s
    assert whoami(api_client, f"Bearer {token}").status_code == 200


def test_only_configured_algorithms_are_accepted(api_client, token_factory, settings):
    settings.SERVICEKIT["JWT"]["ALGORITHMS"] = ["RS512"]  # restored by the plugin
    assert_error(whoami(api_client, f"Bearer {token_factory.access_token()}"), 401, "token_invalid")


def test_symmetric_algorithms_are_never_accepted_even_if_configured(api_client, token_factory, settings):
    settings.SERVICEKIT["JWT"]["ALGORITHMS"] = ["RS256", "HS256", "none"]
    hs256 = token_factory.forge(token_factory.claims(), alg="HS256", secret=token_factory.public_pem())
    assert_error(whoami(api_client, f"Bearer {hs256}"), 401, "token_invalid")
    unsigned = token_factory.forge(token_factory.claims(), alg="none")
    assert_error(whoami(api_client, f"Bearer {unsigned}"), 401, "token_invalid")


def test_client_for_fixture(client_for):
    client = client_for(roles=["vendor"], scopes=["catalog:write"])
    response = client.get(WHOAMI)
    assert response.json()["data"] == {
        "id": client.user_id,
        "roles": ["vendor"],
        "scopes": ["catalog:write"],
    }


def test_verified_tokens_are_served_from_memory(token_factory, jwks_server, monkeypatch):
    token = token_factory.access_token()
    first = verify_access_token(token)

    def no_second_verification(*args, **kwargs):
        raise AssertionError("the token was verified again")

    monkeypatch.setattr("servicekit.auth.tokens._decode", no_second_verification)
    assert verify_access_token(token) is first
    assert jwks_server.fetch_count == 1  # the hit checked its kid against the cached key set


def test_a_cached_token_needs_the_key_set(token_factory, jwks_server):
    token = token_factory.access_token()
    verify_access_token(token)
    jwks_server.available = False
    jwks_cache.clear()  # no keys at all: whether the token's key is still published is unknown
    with pytest.raises(ApplicationError) as raised:
        verify_access_token(token)
    assert raised.value.status_code == 503


def test_principal_from_token(token_factory):
    principal = verify_access_token(token_factory.access_token("u-1", roles=["admin"], scopes=["x", "y"]))
    assert principal.id == principal.pk == "u-1"
    assert principal.is_authenticated and not principal.is_anonymous
    assert principal.is_staff
    assert principal.auth_method == "jwt"
    assert principal.claims["token_type"] == "access"
    with pytest.raises(TypeError):
        principal.claims["sub"] = "someone-else"  # shared between requests: read-only


def test_verified_cache_size_comes_from_settings(token_factory, settings):
    settings.SERVICEKIT["JWT"]["VERIFIED_CACHE_SIZE"] = 2
    for _ in range(3):
        verify_access_token(token_factory.access_token())
    assert len(verified_tokens) == 2


@pytest.mark.django_db
def test_verification_costs_no_query_and_no_network_call_per_request(
    api_client, token_factory, jwks_server, django_assert_num_queries, monkeypatch, settings
):
    """Once the key set is cached, verifying tokens (new ones included, so the RSA path runs)
    opens no socket and runs no query: the network is switched off to prove it."""
    import socket

    settings.SERVICEKIT = {
        **settings.SERVICEKIT,
        "JWT": {**settings.SERVICEKIT["JWT"], "REVOCATION_SYNC_SECONDS": 300},
    }
    warm = token_factory.access_token("9b2f7a4e-0000-4000-8000-00000000000a")
    assert whoami(api_client, f"Bearer {warm}").status_code == 200  # fetches the JWKS, syncs revocations
    fetches = jwks_server.fetch_count

    def no_network(*args, **kwargs):
        raise AssertionError("verification opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    tokens = [token_factory.access_token(f"9b2f7a4e-0000-4000-8000-0000000001{n:02d}") for n in range(20)]
    with django_assert_num_queries(0):
        answers = [whoami(api_client, f"Bearer {token}") for token in tokens * 2]  # new, then cached

    assert [answer.status_code for answer in answers] == [200] * 40
    assert jwks_server.fetch_count == fetches
