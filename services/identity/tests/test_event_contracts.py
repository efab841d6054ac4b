"""identity's event schemas: valid JSON Schema 2020-12 with the fields consumers rely on."""

from __future__ import annotations

import pytest

from servicekit.adminauth.handlers import SHADOW_USER_HANDLERS
from servicekit.events import BUILTIN_HANDLERS
from servicekit.events.schemas import load_schema
from servicekit.testing.contracts import assert_handlers_match_producer_schemas, contract_problems

IDENTITY_EVENTS = {
    "identity.user.registered": {"user_id", "email", "verification_url"},
    "identity.user.email_verification_requested": {"user_id", "email", "verification_url"},
    "identity.user.updated": {"user_id", "changed"},
    "identity.user.deactivated": {"user_id", "email", "api_key_prefixes"},
    "identity.user.password_reset_requested": {"user_id", "email", "reset_url"},
    "identity.user.tokens_revoked": {"user_id", "reason"},
    "identity.user.logged_in": {"user_id"},
    "identity.api_key.created": {"api_key_id", "prefix", "user_id"},
    "identity.api_key.revoked": {"prefix", "api_key_id"},
}


@pytest.mark.parametrize("event_type, required", IDENTITY_EVENTS.items())
def test_schema_exists_and_requires_what_consumers_read(event_type, required):
    schema = load_schema(event_type, 1)  # also checks it is a valid 2020-12 schema
    assert schema["x-producer"] == "identity"
    assert required <= set(schema["required"])
    assert schema["additionalProperties"] is True
    assert not {"password", "password_hash", "secret_hash", "token_hash"} & set(schema["properties"])


def test_identity_handlers_read_only_what_producers_publish():
    assert_handlers_match_producer_schemas("identity.handlers")


def test_every_consumer_of_identity_events_in_servicekit_matches_these_schemas():
    # servicekit's built-in handlers (cache invalidation) and the admin shadow-user handlers.
    assert contract_problems([*BUILTIN_HANDLERS, *SHADOW_USER_HANDLERS]) == []
