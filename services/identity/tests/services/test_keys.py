"""Signing keys: kid thumbprints, the key ring, reloads on rotation, configuration errors."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from identity.tokens import keys
from tests.conftest import signing_keys_conf


def b64int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def test_kid_is_the_rfc_7638_thumbprint():
    # The example key of RFC 7638 section 3.1 and its published thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
        "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZ"
        "u0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    public_key = rsa.RSAPublicNumbers(e=b64int("AQAB"), n=b64int(n)).public_key()
    assert keys.thumbprint(public_key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_jwk_has_public_members_only():
    jwk = keys.public_jwk(keys.generate_private_key().public_key())
    assert set(jwk) == {"kty", "use", "alg", "kid", "n", "e"}


def write_key(path):
    key = keys.generate_private_key()
    keys.write_atomically(path, keys.private_pem(key))
    return keys.thumbprint(key.public_key())


def test_the_ring_publishes_active_next_and_previous_keys(tmp_path):
    key_file = tmp_path / "jwt-signing.pem"
    active = write_key(key_file)
    staged = write_key(keys.next_key_path(key_file))
    old = keys.generate_private_key().public_key()
    keys.write_atomically(keys.previous_keys_path(key_file), keys.public_pem(old))
    ring = keys.build_keyring(signing_keys_conf(key_file))
    assert ring.signing_kid == active
    assert list(ring.public_keys) == [active, staged, keys.thumbprint(old)]


def test_keys_from_the_environment_win_over_files(tmp_path):
    pem = keys.private_pem(keys.generate_private_key()).decode()
    previous = keys.public_pem(keys.generate_private_key().public_key()).decode()
    conf = {
        **signing_keys_conf(tmp_path / "absent.pem"),
        "PRIVATE_KEY": pem,
        "PREVIOUS_PUBLIC_KEYS": previous,
    }
    ring = keys.build_keyring(conf)
    assert len(ring.public_keys) == 2
    assert ring.signing_kid == keys.thumbprint(keys.load_private_key(pem.encode(), source="t").public_key())


def test_the_cache_reloads_when_the_key_file_changes(settings, tmp_path):
    key_file = tmp_path / "jwt-signing.pem"
    first = write_key(key_file)
    settings.IDENTITY = {**settings.IDENTITY, "SIGNING_KEYS": signing_keys_conf(key_file)}
    cache = keys.KeyRingCache()
    assert cache.get().signing_kid == first
    second = write_key(key_file)
    assert cache.get().signing_kid == second


def test_the_cache_checks_files_at_most_every_reload_interval(settings, tmp_path):
    key_file = tmp_path / "jwt-signing.pem"
    first = write_key(key_file)
    settings.IDENTITY = {
        **settings.IDENTITY,
        "SIGNING_KEYS": {**signing_keys_conf(key_file), "RELOAD_SECONDS": 3600},
    }
    cache = keys.KeyRingCache()
    assert cache.get().signing_kid == first
    write_key(key_file)
    assert cache.get().signing_kid == first


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "missing"),
        (b"not a key", "not an unencrypted PEM private key"),
    ],
)
def test_unusable_key_files_are_configuration_errors(tmp_path, content, message):
    key_file = tmp_path / "jwt-signing.pem"
    if content is not None:
        key_file.write_bytes(content)
    with pytest.raises(ImproperlyConfigured, match=message):
        keys.build_keyring(signing_keys_conf(key_file))


def test_short_rsa_keys_are_refused(tmp_path):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    key_file = tmp_path / "jwt-signing.pem"
    key_file.write_bytes(keys.private_pem(weak))
    with pytest.raises(ImproperlyConfigured, match="at least 2048"):
        keys.build_keyring(signing_keys_conf(key_file))
