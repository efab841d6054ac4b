"""ApiKey authentication against a real HTTP introspection server and the real Redis cache."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.core.cache import cache

from servicekit.auth import api_keys, forget_api_key
from servicekit.auth.api_keys import positive_cache_key, tombstone_cache_key

WHOAMI = "/api/v1/test/whoami/"


def whoami(client, key: str):
    return client.get(WHOAMI, HTTP_AUTHORIZATION=f"ApiKey {key}")


def code_of(response) -> str | None:
    return response.json().get("error", {}).get("code")


def test_a_valid_key_authenticates_its_owner(api_client, identity):
    key = identity.new_key(roles=["vendor"], scopes=["account:read", "catalog:write"])
    response = whoami(api_client, key)
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {
        "id": identity.keys[key]["user_id"],
        "roles": ["vendor"],
        "scopes": ["account:read", "catalog:write"],
    }
    (call,) = identity.server.requests
    assert call.json() == {"key": key}
    assert call.headers["x-request-id"] == response["X-Request-ID"]


def test_the_answer_is_cached_in_redis_until_forgotten(api_client, identity):
    key = identity.new_key()
    assert whoami(api_client, key).status_code == 200
    assert whoami(api_client, key).status_code == 200
    assert identity.count == 1
    stored = cache.get(positive_cache_key(key.split(".")[0]))
    assert key not in str(stored)  # a digest, never the key itself

    forget_api_key(key.split(".")[0])
    assert whoami(api_client, key).status_code == 200
    assert identity.count == 2


def test_api_key_principals_pass_permissions(api_client, identity):
    key = identity.new_key(roles=["vendor"], scopes=["catalog:write"])
    response = api_client.get("/api/v1/test/staff-or-vendor/", HTTP_AUTHORIZATION=f"ApiKey {key}")
    assert response.status_code == 200


def test_a_wrong_secret_is_refused_and_does_not_evict_the_real_key(api_client, identity):
    key = identity.new_key()
    assert whoami(api_client, key).status_code == 200
    forged = key.split(".")[0] + ".not-the-secret"
    response = whoami(api_client, forged)
    assert response.status_code == 401
    assert code_of(response) == "api_key_invalid"
    assert whoami(api_client, key).status_code == 200
    assert identity.count == 2  # the real key once, the forged one once


def test_an_inactive_key_is_refused_and_the_refusal_briefly_cached(api_client, identity):
    key = identity.new_key(active=False)
    for _ in range(3):
        response = whoami(api_client, key)
        assert response.status_code == 401
        assert code_of(response) == "api_key_invalid"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert identity.count == 1


def test_an_expired_key_is_refused(api_client, identity):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert whoami(api_client, identity.new_key(expires_at=past)).status_code == 401


def test_cached_answers_never_outlive_the_key(api_client, identity, settings):
    soon = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    key = identity.new_key(expires_at=soon)
    assert whoami(api_client, key).status_code == 200
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    ttl = client.ttl(cache.make_key(positive_cache_key(key.split(".")[0])))
    assert 0 < ttl <= 3


@pytest.mark.parametrize(
    "header",
    ["ApiKey", "ApiKey ", "ApiKey no-dot", "ApiKey a.b c", "ApiKey .secret", "ApiKey pre.", "ApiKey a.b.c"],
)
def test_malformed_keys_are_refused_without_asking_identity(api_client, identity, header):
    response = api_client.get(WHOAMI, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert code_of(response) == "api_key_invalid"
    assert identity.count == 0


def test_identity_unreachable_is_503(api_client, identity):
    key = identity.new_key()
    identity.server.stop()
    started = time.monotonic()
    response = whoami(api_client, key)
    assert response.status_code == 503
    assert code_of(response) == "upstream_unavailable"
    assert time.monotonic() - started < 5


def test_identity_failing_is_503(api_client, identity):
    identity.internal_token = "a-different-token"  # identity refuses us: a misconfiguration
    response = whoami(api_client, identity.new_key())
    assert response.status_code == 503
    assert code_of(response) == "upstream_unavailable"


def test_a_revocation_consumed_while_identity_answers_is_not_undone_by_caching_that_answer(
    api_client, identity
):
    key = identity.new_key()
    prefix = key.split(".")[0]
    answer = identity.answer

    def revoked_while_answering(request):
        status, body = answer(request)  # identity says "active"...
        reply = status, copy.deepcopy(body)
        identity.keys[key]["active"] = False  # ...then the key is revoked,
        forget_api_key(prefix)  # and this service's consumer handles identity.api_key.revoked
        return reply

    identity.server.responder = revoked_while_answering
    assert whoami(api_client, key).status_code == 200  # the answer identity gave at the time
    assert cache.get(positive_cache_key(prefix)) is None  # but it was not cached

    identity.server.responder = answer
    response = whoami(api_client, key)
    assert response.status_code == 401 and code_of(response) == "api_key_invalid"
    assert identity.count == 2


def test_a_revocation_between_the_tombstone_check_and_the_cache_write_still_wins(
    api_client, identity, monkeypatch
):
    key = identity.new_key()
    prefix = key.split(".")[0]
    real_set = api_keys._cache_set

    def forgotten_just_before_the_write(cache_key, value, ttl):
        if cache_key == positive_cache_key(prefix):
            forget_api_key(prefix)
        real_set(cache_key, value, ttl)

    monkeypatch.setattr(api_keys, "_cache_set", forgotten_just_before_the_write)
    assert whoami(api_client, key).status_code == 200
    assert cache.get(positive_cache_key(prefix)) is None


def test_the_tombstone_lasts_as_long_as_a_cached_answer_could(api_client, identity, settings):
    key = identity.new_key()
    prefix = key.split(".")[0]
    forget_api_key(prefix)
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    ttl = client.ttl(cache.make_key(tombstone_cache_key(prefix)))
    assert 0 < ttl <= settings.SERVICEKIT["JWT"]["API_KEY_CACHE_SECONDS"]
    for _ in range(2):
        assert whoami(api_client, key).status_code == 200
    assert identity.count == 2  # not cached meanwhile
