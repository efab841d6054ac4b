"""identity.user.tokens_revoked voids a user's older access tokens in every process within seconds."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servicekit.auth.revocations import Revocations, revocations

WHOAMI = "/api/v1/test/whoami/"
pytestmark = pytest.mark.django_db
REPOSITORY_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "events"


@pytest.fixture(autouse=True)
def identity_contracts(settings):
    """These events are identity's: validate them against the repository's real schemas."""
    settings.SERVICEKIT = {**settings.SERVICEKIT, "CONTRACTS_DIR": str(REPOSITORY_CONTRACTS)}


def revoke_event(user_id: str, at: float) -> dict:
    return {
        "user_id": user_id,
        "reason": "logout_all",
        "revoked_at": datetime.fromtimestamp(at, tz=UTC).isoformat().replace("+00:00", "Z"),
    }


def test_tokens_issued_before_the_revocation_are_refused(client_for, token_factory, deliver_event):
    client = client_for(roles=("customer",))
    assert client.get(WHOAMI).status_code == 200  # verified and cached

    deliver_event(
        "identity.user.tokens_revoked", revoke_event(client.user_id, time.time() + 1), producer="identity"
    )
    refused = client.get(WHOAMI)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"

    other = client_for(roles=("customer",))
    assert other.get(WHOAMI).status_code == 200  # other users are untouched


def test_a_token_issued_after_the_revocation_works(client_for, token_factory, deliver_event):
    client = client_for(roles=("customer",))
    deliver_event(
        "identity.user.tokens_revoked", revoke_event(client.user_id, time.time() - 60), producer="identity"
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
