"""Principal and the verified-token LRU, without HTTP."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from servicekit.auth import Principal
from servicekit.auth.verified import VerifiedTokenCache, token_digest


def test_from_claims_reads_roles_list_and_scope_string():
    principal = Principal.from_claims(
        {"sub": "u-1", "roles": ["vendor"], "scope": "orders:read  orders:write", "jti": "j"}
    )
    assert principal.id == principal.pk == str(principal) == "u-1"
    assert principal.roles == frozenset({"vendor"})
    assert principal.scopes == frozenset({"orders:read", "orders:write"})
    assert principal.auth_method == "jwt"
    assert principal.claims["jti"] == "j"


def test_missing_roles_and_scope_mean_none():
    principal = Principal.from_claims({"sub": "u-1"})
    assert principal.roles == principal.scopes == frozenset()
    assert not principal.is_staff


def test_user_like_flags():
    principal = Principal("u-1")
    assert principal.is_authenticated and principal.is_active and not principal.is_anonymous


@pytest.mark.parametrize(("roles", "staff"), [({"staff"}, True), ({"admin"}, True), ({"vendor"}, False)])
def test_is_staff(roles, staff):
    assert Principal("u", roles=roles).is_staff is staff


def test_has_role_is_any_has_scope_is_all():
    principal = Principal("u", roles={"vendor"}, scopes={"a", "b"})
    assert principal.has_role("staff", "vendor")
    assert not principal.has_role("staff")
    assert principal.has_scope("a", "b")
    assert not principal.has_scope("a", "c")


def test_immutable_hashable_and_picklable():
    principal = Principal("u", roles=["x"], scopes=["s"], claims={"sub": "u"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        principal.id = "other"
    with pytest.raises(TypeError):
        principal.claims["sub"] = "other"
    assert principal == Principal("u", roles={"x"}, scopes={"s"})  # claims are not identity
    assert len({principal, copy.deepcopy(principal), pickle.loads(pickle.dumps(principal))}) == 1
    assert pickle.loads(pickle.dumps(principal)).claims == {"sub": "u"}


# --- VerifiedTokenCache ---------------------------------------------------------------------


def test_entries_never_outlive_the_token():
    cache = VerifiedTokenCache()
    digest = token_digest("t")
    cache.put(digest, Principal("u"), expires_at=110, kid="k1", now=100)
    assert cache.get(digest, now=109.9) == (Principal("u"), "k1", 110)
    assert cache.get(digest, now=110) is None
    assert len(cache) == 0


def test_already_expired_tokens_are_not_stored():
    cache = VerifiedTokenCache()
    cache.put(token_digest("t"), Principal("u"), expires_at=100, kid="k1", now=100)
    assert len(cache) == 0


def test_least_recently_used_entries_are_evicted():
    cache = VerifiedTokenCache(maxsize=2)
    a, b, c = (token_digest(name) for name in "abc")
    cache.put(a, Principal("a"), expires_at=200, kid="k1", now=100)
    cache.put(b, Principal("b"), expires_at=200, kid="k1", now=100)
    assert cache.get(a, now=100)  # a is now the most recent
    cache.put(c, Principal("c"), expires_at=200, kid="k1", now=100)
    assert cache.get(b, now=100) is None
    assert cache.get(a, now=100) and cache.get(c, now=100)


def test_entries_can_be_discarded():
    cache = VerifiedTokenCache()
    digest = token_digest("t")
    cache.put(digest, Principal("u"), expires_at=200, kid="k1", now=100)
    cache.discard(digest)
    cache.discard(digest)  # already gone: no error
    assert cache.get(digest, now=100) is None


def test_size_zero_disables_the_cache():
    cache = VerifiedTokenCache(maxsize=0)
    cache.put(token_digest("t"), Principal("u"), expires_at=200, kid="k1", now=100)
    assert len(cache) == 0
