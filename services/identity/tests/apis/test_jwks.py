"""GET /.well-known/jwks.json: the plain RFC 7517 document."""

from __future__ import annotations

import pytest
from django.test import Client

from identity.tokens import keys
from identity.tokens.keys import current_keyring


def test_jwks_is_a_plain_jwk_set_with_the_active_key(client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "max-age" in response["Cache-Control"]
    document = response.json()
    assert set(document) == {"keys"}  # not an envelope
    (jwk,) = document["keys"]
    assert jwk["kid"] == current_keyring().signing_kid
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


def test_jwks_publishes_the_previous_key_during_a_rotation(client, settings, tmp_path):
    key_file = tmp_path / "jwt-signing.pem"
    keys.write_atomically(key_file, keys.private_pem(keys.generate_private_key()))
    previous = keys.generate_private_key().public_key()
    keys.write_atomically(keys.previous_keys_path(key_file), keys.public_pem(previous))
    settings.IDENTITY = {
        **settings.IDENTITY,
        "SIGNING_KEYS": {**settings.IDENTITY["SIGNING_KEYS"], "PRIVATE_KEY_FILE": str(key_file)},
    }
    kids = [jwk["kid"] for jwk in client.get("/.well-known/jwks.json").json()["keys"]]
    assert kids == [current_keyring().signing_kid, keys.thumbprint(previous)]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_get_a_405_envelope(method):
    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF token
    response = getattr(client, method)("/.well-known/jwks.json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET, HEAD"
    body = response.json()
    assert body["error"]["code"] == "method_not_allowed"
    assert body["error"]["message"] == f'Method "{method.upper()}" not allowed.'
    assert body["meta"]["request_id"]


def test_head_is_allowed(client):
    assert client.head("/.well-known/jwks.json").status_code == 200
