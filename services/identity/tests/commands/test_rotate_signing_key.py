"""manage.py rotate_signing_key: publish, wait, switch; old tokens keep verifying."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from identity.tokens import keys
from identity.tokens.keys import current_keyring
from identity.tokens.services import token_pair_issue, token_refresh
from servicekit.auth import verify_access_token
from servicekit.auth.jwks import jwks_cache
from tests.conftest import publish_identity_keys, signing_keys_conf


@pytest.fixture
def key_file(settings, tmp_path):
    path = tmp_path / "jwt-signing.pem"
    keys.write_atomically(path, keys.private_pem(keys.generate_private_key()))
    settings.IDENTITY = {**settings.IDENTITY, "SIGNING_KEYS": signing_keys_conf(path)}
    return path


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_signing_key", "--publish-seconds", "0", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rotation_switches_the_signing_key_and_keeps_the_old_one_published(key_file, user, jwks_server):
    publish_identity_keys(jwks_server)
    old_kid = current_keyring().signing_kid
    before = token_pair_issue(user=user)

    output = rotate()
    new_kid = current_keyring().signing_kid
    assert new_kid != old_kid and new_kid in output
    assert list(current_keyring().public_keys) == [new_kid, old_kid]
    assert not keys.next_key_path(key_file).exists()

    # Tokens signed before the rotation still verify (access at services, refresh at identity)…
    jwks_cache.clear()
    publish_identity_keys(jwks_server)
    assert verify_access_token(before.access).id == str(user.pk)
    after = token_refresh(refresh=before.refresh)
    # …and new ones carry the new kid.
    assert verify_access_token(after.access).claims["sub"] == str(user.pk)
    assert keys.thumbprint(current_keyring().signing_key.public_key()) == new_kid


def test_the_next_key_is_published_before_it_signs(key_file):
    active = current_keyring().signing_kid
    staged = keys.generate_private_key()
    keys.write_atomically(keys.next_key_path(key_file), keys.private_pem(staged))
    ring = current_keyring()
    assert ring.signing_kid == active
    assert keys.thumbprint(staged.public_key()) in ring.public_keys
    # An interrupted rotation is resumed with the staged key, not a second new one.
    rotate()
    assert current_keyring().signing_kid == keys.thumbprint(staged.public_key())


def test_keep_previous_bounds_the_published_keys(key_file):
    kids = [current_keyring().signing_kid]
    for _ in range(3):
        rotate("--keep-previous", "2")
        kids.append(current_keyring().signing_kid)
    assert list(current_keyring().public_keys) == [kids[3], kids[2], kids[1]]


def test_environment_keys_are_rotated_by_deployment(settings):
    pem = keys.private_pem(keys.generate_private_key()).decode()
    settings.IDENTITY = {
        **settings.IDENTITY,
        "SIGNING_KEYS": {**settings.IDENTITY["SIGNING_KEYS"], "PRIVATE_KEY": pem},
    }
    with pytest.raises(CommandError, match="deployment"):
        rotate()
