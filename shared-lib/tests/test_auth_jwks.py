"""The JWKS cache against a real HTTP JWKS server: rotation, refetch rate limit, outages."""

from __future__ import annotations

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from rest_framework.exceptions import AuthenticationFailed

from servicekit.auth import jwks_cache, verified_tokens, verify_access_token
from servicekit.auth.jwks import parse_jwks
from servicekit.testing.jwks_server import JwksServer
from servicekit.testing.polling import wait_until

WHOAMI = "/api/v1/test/whoami/"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(jwks_cache, "clock", fake)
    return fake


@pytest.fixture
def jwt_conf(settings):
    return settings.SERVICEKIT["JWT"]  # the plugin restores it after each test


def status_of(client, token: str) -> tuple[int, str | None]:
    response = client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token}")
    body = response.json()
    return response.status_code, body.get("error", {}).get("code")


def test_a_newly_published_key_is_accepted_without_restart(
    api_client, token_factory, jwks_server, clock, jwt_conf
):
    assert status_of(api_client, token_factory.access_token()) == (200, None)
    assert jwks_server.fetch_count == 1

    new_kid = token_factory.new_key()
    jwks_server.publish(token_factory.public_jwk(new_kid))
    token = token_factory.access_token(kid=new_kid)
    # Within the refetch interval the unknown kid is refused without asking identity again...
    assert status_of(api_client, token) == (401, "unknown_key")
    assert jwks_server.fetch_count == 1
    # ... once it has passed, one refetch picks the new key up.
    clock.advance(jwt_conf["JWKS_MIN_REFETCH_SECONDS"])
    assert status_of(api_client, token) == (200, None)
    assert status_of(api_client, token_factory.access_token(kid=new_kid)) == (200, None)
    assert jwks_server.fetch_count == 2


def test_a_withdrawn_key_stops_working_after_the_cache_expires(
    api_client, token_factory, jwks_server, clock, jwt_conf
):
    old_kid = token_factory.new_key()
    jwks_server.publish(token_factory.public_jwk(old_kid))
    assert status_of(api_client, token_factory.access_token(kid=old_kid)) == (200, None)

    jwks_server.withdraw(old_kid)
    clock.advance(jwt_conf["JWKS_CACHE_SECONDS"])
    assert status_of(api_client, token_factory.access_token(kid=old_kid)) == (401, "unknown_key")


def test_an_already_verified_token_stops_working_once_its_key_is_withdrawn(
    api_client, token_factory, jwks_server, clock, jwt_conf
):
    old_kid = token_factory.new_key()
    jwks_server.publish(token_factory.public_jwk(old_kid))
    token = token_factory.access_token(kid=old_kid)  # the same string throughout
    other = token_factory.access_token()
    assert status_of(api_client, token) == (200, None)
    assert status_of(api_client, other) == (200, None)
    assert len(verified_tokens) == 2

    jwks_server.withdraw(old_kid)  # e.g. the key leaked
    # Until the key set is refreshed the cached verification stands, at no cost...
    clock.advance(jwt_conf["JWKS_CACHE_SECONDS"] - 1)
    assert status_of(api_client, token) == (200, None)
    assert jwks_server.fetch_count == 1
    # ... once it is, the same token is refused, though its exp is far away.
    clock.advance(1)
    assert status_of(api_client, token) == (401, "unknown_key")
    assert jwks_server.fetch_count == 2
    assert status_of(api_client, token) == (401, "unknown_key")
    # Tokens signed with a key that is still published keep working.
    assert status_of(api_client, other) == (200, None)
    assert len(verified_tokens) == 1


def test_a_flood_of_unknown_kids_costs_one_fetch_per_interval(
    api_client, token_factory, jwks_server, clock, jwt_conf
):
    def flood(round_: int) -> None:
        for n in range(100):
            token = token_factory.access_token(headers={"kid": f"ghost-{round_}-{n}"})
            assert status_of(api_client, token) == (401, "unknown_key")

    flood(1)
    assert jwks_server.fetch_count == 1  # the cold-cache fetch; no refetch within the interval
    clock.advance(jwt_conf["JWKS_MIN_REFETCH_SECONDS"] / 2)
    flood(2)
    assert jwks_server.fetch_count == 1
    clock.advance(jwt_conf["JWKS_MIN_REFETCH_SECONDS"])
    flood(3)
    assert jwks_server.fetch_count == 2
    # Real keys kept working throughout.
    assert status_of(api_client, token_factory.access_token()) == (200, None)


def test_concurrent_unknown_kids_cause_a_single_fetch(token_factory, jwks_server, clock):
    tokens = [token_factory.access_token(headers={"kid": f"ghost-{n}"}) for n in range(40)]
    codes: list[str] = []

    def verify(token: str) -> None:
        try:
            verify_access_token(token)
        except AuthenticationFailed as exc:  # collected, asserted in the main thread
            codes.append(exc.get_codes())

    threads = [threading.Thread(target=verify, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == ["unknown_key"] * 40
    assert jwks_server.fetch_count == 1


def test_cached_keys_keep_working_while_identity_is_unreachable(api_client, token_factory, clock, jwt_conf):
    with JwksServer(token_factory.jwks()) as identity:
        jwt_conf["JWKS_URL"] = identity.jwks_url
        assert status_of(api_client, token_factory.access_token()) == (200, None)
    # identity is gone (connection refused) and the cached keys are stale: still accepted.
    clock.advance(jwt_conf["JWKS_CACHE_SECONDS"] + 1)
    verified_tokens.clear()
    assert status_of(api_client, token_factory.access_token()) == (200, None)


def test_while_identity_fails_retries_are_rate_limited(
    api_client, token_factory, jwks_server, clock, jwt_conf
):
    assert status_of(api_client, token_factory.access_token()) == (200, None)
    jwks_server.available = False  # answers 503
    clock.advance(jwt_conf["JWKS_CACHE_SECONDS"] + 1)
    for _ in range(5):
        assert status_of(api_client, token_factory.access_token()) == (200, None)
    assert jwks_server.fetch_count == 2  # one failed refresh attempt, not one per request

    jwks_server.available = True
    clock.advance(jwt_conf["JWKS_MIN_REFETCH_SECONDS"])
    assert status_of(api_client, token_factory.access_token()) == (200, None)
    assert jwks_server.fetch_count == 3


def test_no_keys_at_all_is_503_upstream_unavailable(api_client, token_factory, jwks_server):
    jwks_server.available = False
    assert status_of(api_client, token_factory.access_token()) == (503, "upstream_unavailable")


def test_with_no_keys_at_all_a_fetch_is_tried_again_within_a_second(
    api_client, token_factory, jwks_server, clock, jwt_conf
):
    """A service whose first fetch met identity down (its database path cut for five seconds)
    refused every token for JWKS_MIN_REFETCH_SECONDS; with nothing cached it tries every second
    (still one fetch per second, however many requests come)."""
    jwks_server.available = False
    for _ in range(5):
        assert status_of(api_client, token_factory.access_token()) == (503, "upstream_unavailable")
    assert jwks_server.fetch_count == 1

    jwks_server.available = True
    clock.advance(1)
    assert status_of(api_client, token_factory.access_token()) == (200, None)
    assert jwks_server.fetch_count == 2
    assert jwt_conf["JWKS_MIN_REFETCH_SECONDS"] > 1  # once keys are cached, the long spacing


# --- which keys are taken from the document ---------------------------------------------


def test_only_rsa_signing_keys_are_used(token_factory):
    private = token_factory.private_key()
    public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()

    def _rsa_jwk(kid: str, **extra) -> dict:
        return {**public, "kid": kid, **extra}

    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    document = {
        "keys": [
            _rsa_jwk("sig", use="sig", alg="RS256"),
            _rsa_jwk("no-use"),
            _rsa_jwk("enc", use="enc"),
            _rsa_jwk("other-alg", alg="RS512"),
            {**RSAAlgorithm.to_jwk(short, as_dict=True), "kid": "too-short"},
            {**ECAlgorithm.to_jwk(ec_key, as_dict=True), "kid": "ec"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {**RSAAlgorithm.to_jwk(private, as_dict=True), "kid": "private"},
            {**_rsa_jwk("x"), "kid": None},
            "not-a-key",
        ]
    }
    keys = parse_jwks(document)
    assert sorted(keys) == ["no-use", "private", "sig"]
    # A JWK that leaked its private part is still only used as a public key.
    assert isinstance(keys["private"], rsa.RSAPublicKey)


@pytest.mark.parametrize("document", [{}, {"keys": "x"}, [], "nope"])
def test_a_malformed_document_is_an_error(document):
    with pytest.raises(ValueError):
        parse_jwks(document)


def test_a_warm_up_caches_the_keys_before_any_request_needs_them(api_client, token_factory, jwks_server):
    from servicekit.auth.jwks import warm_up

    assert warm_up(within_seconds=5) is True
    assert jwks_server.fetch_count == 1
    assert status_of(api_client, token_factory.access_token()) == (200, None)
    assert jwks_server.fetch_count == 1, "the request found the keys already cached"


def test_a_warm_up_keeps_trying_while_identity_is_away_then_stops_at_its_deadline(jwks_server):
    from servicekit.auth.jwks import JWKSCache, warm_up

    jwks_server.available = False
    back = threading.Timer(1.5, lambda: setattr(jwks_server, "available", True))
    back.start()
    try:
        assert warm_up(JWKSCache(), within_seconds=30) is True
    finally:
        back.cancel()
    assert jwks_server.fetch_count >= 2  # refused at least once, then served

    jwks_server.available = False
    assert warm_up(JWKSCache(), within_seconds=1.5) is False


def test_gunicorn_workers_warm_the_keys_up_as_they_start(jwks_server, monkeypatch):
    from servicekit import gunicorn_config
    from servicekit.auth import jwks

    cache = jwks.JWKSCache()
    monkeypatch.setattr(jwks, "jwks_cache", cache)
    gunicorn_config.post_worker_init(worker=None)
    assert wait_until(lambda: jwks_server.fetch_count == 1, timeout=10)
    assert wait_until(lambda: cache._fetched_at is not None, timeout=10)
    assert cache.current_keys() and jwks_server.fetch_count == 1
