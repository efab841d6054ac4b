"""identity.user.tokens_revoked voids a user's older access tokens in every process within seconds."""

import time
from pathlib import Path

import pytest

from servicekit.auth.revocations import Revocations, revocations
from servicekit.testing.tokens import tokens_revoked

WHOAMI = "/api/v1/test/whoami/"
pytestmark = pytest.mark.django_db
REPOSITORY_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "events"


@pytest.fixture(autouse=True)
def identity_contracts(settings):
    """These events are identity's: validate them against the repository's real schemas."""
    settings.SERVICEKIT = {**settings.SERVICEKIT, "CONTRACTS_DIR": str(REPOSITORY_CONTRACTS)}


def test_tokens_issued_before_the_revocation_are_refused(client_for, token_factory, deliver_event):
    client = client_for(roles=("customer",))
    assert client.get(WHOAMI).status_code == 200  # verified and cached

    deliver_event(
        "identity.user.tokens_revoked",
        tokens_revoked(client.user_id, at=time.time() + 1),
        producer="identity",
    )
    refused = client.get(WHOAMI)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"

    other = client_for(roles=("customer",))
    assert other.get(WHOAMI).status_code == 200  # other users are untouched


def test_a_token_issued_after_the_revocation_works(client_for, token_factory, deliver_event):
    client = client_for(roles=("customer",))
    deliver_event(
        "identity.user.tokens_revoked",
        tokens_revoked(client.user_id, at=time.time() - 60),
        producer="identity",
    )
    assert client.get(WHOAMI).status_code == 200


def test_another_process_learns_of_it_at_its_next_sync(settings):
    settings.SERVICEKIT["JWT"]["REVOCATION_SYNC_SECONDS"] = 3600
    web_process = Revocations()
    assert web_process.is_revoked("u-1", issued_at=time.time() - 10) is False  # synced: nothing yet

    revocations.revoke("u-1", time.time())  # the consumer process records it in Redis
    assert web_process.is_revoked("u-1", issued_at=time.time() - 10) is False  # not due to sync yet

    settings.SERVICEKIT["JWT"]["REVOCATION_SYNC_SECONDS"] = 0
    assert web_process.is_revoked("u-1", issued_at=time.time() - 10) is True
    assert web_process.is_revoked("u-2", issued_at=time.time() - 10) is False


def test_the_cut_off_is_exact_within_one_second(token_factory, api_client, deliver_event):
    """identity's iat has microseconds: a token from just before "log out everywhere" is void,
    one from just after it works, though both carry the same whole second."""
    user_id = "7a0b7c1e-5d1f-4b8e-9a44-1c2d3e4f5a6b"
    revoked_at = int(time.time()) + 0.5
    before = token_factory.access_token(user_id, iat=revoked_at - 0.3)
    after = token_factory.access_token(user_id, iat=revoked_at + 0.3)
    deliver_event("identity.user.tokens_revoked", tokens_revoked(user_id, at=revoked_at), producer="identity")

    refused = api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {before}")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    assert api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {after}").status_code == 200


def test_the_revocation_drops_the_cached_answers_of_the_users_api_keys(api_client, identity, deliver_event):
    """A demoted staff member's key: its cached answer carried the old roles; after the event
    identity is asked again and the key gets the roles the owner has now."""
    key = identity.new_key(roles=["staff"], scopes=["users:admin"])
    staff_only = "/api/v1/test/staff-only/"
    assert api_client.get(staff_only, HTTP_AUTHORIZATION=f"ApiKey {key}").status_code == 200
    identity.keys[key]["roles"] = ["customer"]  # identity took the role away
    assert api_client.get(staff_only, HTTP_AUTHORIZATION=f"ApiKey {key}").status_code == 200  # cached

    data = tokens_revoked(
        identity.keys[key]["user_id"], reason="roles_changed", api_key_prefixes=[key.split(".")[0]]
    )
    deliver_event("identity.user.tokens_revoked", data, producer="identity")
    assert api_client.get(staff_only, HTTP_AUTHORIZATION=f"ApiKey {key}").status_code == 403
