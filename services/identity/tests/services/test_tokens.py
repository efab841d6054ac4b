"""Issuing, rotating and revoking tokens."""

from __future__ import annotations

import uuid
from functools import partial

import jwt
import pytest
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed

from identity.tokens.keys import current_keyring
from identity.tokens.models import RefreshToken, RevocationReason
from identity.tokens.services import (
    refresh_token_revoke,
    token_pair_issue,
    token_refresh,
    user_tokens_revoke_all,
)
from servicekit.auth import verify_access_token
from servicekit.envelope.errors import ApplicationError
from servicekit.testing.concurrency import results_concurrently
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def decode(token: str) -> tuple[dict, dict]:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token,
        current_keyring().public_key(header["kid"]),
        algorithms=["RS256"],
        audience=settings.SERVICEKIT["JWT"]["AUDIENCE"],
    )
    return header, claims


def test_the_access_token_carries_the_contract_claims(user):
    pair = token_pair_issue(user=user)
    header, claims = decode(pair.access)
    assert header["alg"] == "RS256" and header["kid"] == current_keyring().signing_kid
    assert claims["sub"] == str(user.pk)
    assert claims["roles"] == ["customer"]
    assert claims["scope"] == ""
    assert claims["iss"] == settings.SERVICEKIT["JWT"]["ISSUER"]
    assert claims["aud"] == settings.SERVICEKIT["JWT"]["AUDIENCE"]
    assert claims["token_type"] == "access"
    # iat to the microsecond (an exact revocation cut-off); nbf and exp in whole seconds.
    assert isinstance(claims["iat"], float) and claims["nbf"] == int(claims["iat"])
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60
    assert claims["jti"]
    assert pair.expires_in == claims["exp"] - claims["nbf"] and pair.token_type == "Bearer"


def test_servicekit_accepts_the_access_token_and_rejects_the_refresh_token(user):
    pair = token_pair_issue(user=user)
    principal = verify_access_token(pair.access)
    assert principal.id == str(user.pk) and principal.roles == {"customer"}
    with pytest.raises(AuthenticationFailed, match="Not an access token"):
        verify_access_token(pair.refresh)


def test_the_refresh_token_is_a_row_of_its_own(user):
    pair = token_pair_issue(user=user)
    _, claims = decode(pair.refresh)
    assert claims["token_type"] == "refresh" and "roles" not in claims
    row = RefreshToken.objects.get(jti=claims["jti"])
    assert row.user == user and row.revoked_at is None
    assert abs(row.expires_at.timestamp() - claims["exp"]) < 1


def test_refresh_rotates_within_the_family(user):
    first = token_pair_issue(user=user)
    second = token_refresh(refresh=first.refresh)
    old = RefreshToken.objects.get(jti=decode(first.refresh)[1]["jti"])
    new = RefreshToken.objects.get(jti=decode(second.refresh)[1]["jti"])
    assert old.revoked_reason == RevocationReason.ROTATED and old.replaced_by == new
    assert new.family_id == old.family_id and new.revoked_at is None
    assert decode(second.access)[1]["sub"] == str(user.pk)


def test_refresh_picks_up_role_changes(user):
    pair = token_pair_issue(user=user)
    user.roles = ["customer", "vendor"]
    user.save()
    assert decode(token_refresh(refresh=pair.refresh).access)[1]["roles"] == ["customer", "vendor"]


def refresh_error(refresh: str) -> ApplicationError:
    with pytest.raises(ApplicationError) as excinfo:
        token_refresh(refresh=refresh)
    return excinfo.value


def test_reusing_a_rotated_refresh_token_revokes_every_session(user, captured_events, django_clock, settings):
    other_session = token_pair_issue(user=user)
    first = token_pair_issue(user=user)
    second = token_refresh(refresh=first.refresh)
    django_clock.shift(settings.IDENTITY["REFRESH_REUSE_GRACE_SECONDS"])  # the grace period is over
    with pytest.raises(ApplicationError) as excinfo:
        token_refresh(refresh=first.refresh)
    assert excinfo.value.code == "token_reused" and excinfo.value.status_code == 401
    # The revocation committed although the call failed: the thief's and the owner's tokens are dead.
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    captured_events.assert_published("identity.user.tokens_revoked", reason="refresh_token_reuse")
    for pair in (second, other_session):
        with pytest.raises(ApplicationError) as excinfo:
            token_refresh(refresh=pair.refresh)
        assert excinfo.value.code == "token_revoked"


def test_a_rotated_token_presented_again_within_the_grace_period_signs_nobody_out(
    user, captured_events, django_clock, settings
):
    other_session = token_pair_issue(user=user)
    first = token_pair_issue(user=user)
    second = token_refresh(refresh=first.refresh)
    django_clock.shift(settings.IDENTITY["REFRESH_REUSE_GRACE_SECONDS"] - 1)
    error = refresh_error(first.refresh)
    assert (error.code, error.status_code) == ("token_revoked", 401)
    captured_events.assert_nothing_published()
    # The session that refreshed and every other session carry on.
    token_refresh(refresh=second.refresh)
    token_refresh(refresh=other_session.refresh)


def test_reuse_detection_without_a_grace_period(user, settings):
    settings.IDENTITY = {**settings.IDENTITY, "REFRESH_REUSE_GRACE_SECONDS": 0}
    first = token_pair_issue(user=user)
    second = token_refresh(refresh=first.refresh)
    assert refresh_error(first.refresh).code == "token_reused"
    assert refresh_error(second.refresh).code == "token_revoked"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_rotate_it_once_and_sign_nobody_out(user, captured_events):
    other_session = token_pair_issue(user=user)
    pair = token_pair_issue(user=user)

    def refresh():
        try:
            return token_refresh(refresh=pair.refresh)
        except ApplicationError as exc:
            return exc

    outcomes = results_concurrently([refresh] * 2)
    (winner,) = [outcome for outcome in outcomes if not isinstance(outcome, ApplicationError)]
    (loser,) = [outcome for outcome in outcomes if isinstance(outcome, ApplicationError)]
    assert (loser.code, loser.status_code) == ("token_revoked", 401)
    assert not captured_events.of_type("identity.user.tokens_revoked")
    family = RefreshToken.objects.filter(
        family_id=RefreshToken.objects.get(jti=decode(pair.refresh)[1]["jti"]).family_id
    )
    assert family.count() == 2 and family.filter(revoked_at__isnull=True).count() == 1
    token_refresh(refresh=winner.refresh)
    token_refresh(refresh=other_session.refresh)


def test_logout_blacklists_the_refresh_token_idempotently(user):
    pair = token_pair_issue(user=user)
    refresh_token_revoke(refresh=pair.refresh)
    refresh_token_revoke(refresh=pair.refresh)
    row = RefreshToken.objects.get(user=user)
    assert row.revoked_reason == RevocationReason.LOGOUT
    with pytest.raises(ApplicationError) as excinfo:
        token_refresh(refresh=pair.refresh)
    assert excinfo.value.code == "token_revoked"


def test_logout_with_an_already_rotated_token_ends_its_whole_session(user, captured_events):
    other_session = token_pair_issue(user=user)
    first = token_pair_issue(user=user)
    second = token_refresh(refresh=first.refresh)
    third = token_refresh(refresh=second.refresh)
    assert refresh_token_revoke(refresh=first.refresh) == 1
    assert refresh_error(third.refresh).code == "token_revoked"
    family = RefreshToken.objects.get(jti=decode(third.refresh)[1]["jti"])
    assert family.revoked_reason == RevocationReason.LOGOUT
    # Only that session: no reuse alarm, the user's other sessions live on.
    assert not captured_events.of_type("identity.user.tokens_revoked")
    token_refresh(refresh=other_session.refresh)


@pytest.mark.django_db(transaction=True)
def test_logout_racing_a_refresh_of_the_same_session_leaves_nothing_alive(user):
    first = token_pair_issue(user=user)
    second = token_refresh(refresh=first.refresh)

    def logout_or_refresh(index: int):
        try:
            return (
                refresh_token_revoke(refresh=first.refresh)
                if index == 0
                else token_refresh(refresh=second.refresh)
            )
        except ApplicationError as exc:
            return exc

    for _ in range(10):  # a race: several rounds, so an unsafe version fails reliably
        results_concurrently([partial(logout_or_refresh, index) for index in range(2)])
        assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
        first = token_pair_issue(user=user)
        second = token_refresh(refresh=first.refresh)


def test_revoke_all_touches_only_that_user(user, captured_events):
    other = UserFactory()
    token_pair_issue(user=user)
    token_pair_issue(user=user)
    kept = token_pair_issue(user=other)
    assert user_tokens_revoke_all(user=user, reason=RevocationReason.LOGOUT_ALL) == 2
    captured_events.assert_published("identity.user.tokens_revoked", user_id=str(user.pk), revoked_count=2)
    token_refresh(refresh=kept.refresh)


def test_a_deactivated_user_cannot_refresh(user):
    pair = token_pair_issue(user=user)
    user.is_active = False
    user.save()
    with pytest.raises(ApplicationError) as excinfo:
        token_refresh(refresh=pair.refresh)
    assert excinfo.value.code == "account_inactive"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),  # signature
        lambda token: "not-a-jwt",
        lambda token: jwt.encode({"sub": "x", "token_type": "refresh"}, "s" * 32, algorithm="HS256"),
    ],
)
def test_forged_refresh_tokens_are_invalid(user, mangle):
    pair = token_pair_issue(user=user)
    with pytest.raises(ApplicationError) as excinfo:
        token_refresh(refresh=mangle(pair.refresh))
    assert excinfo.value.code == "token_invalid"


def test_an_access_token_is_not_a_refresh_token(user):
    with pytest.raises(ApplicationError) as excinfo:
        token_refresh(refresh=token_pair_issue(user=user).access)
    assert excinfo.value.code == "token_invalid"


def test_a_signed_refresh_token_with_an_unknown_jti_is_invalid(user, token_factory):
    # Signed by a key identity does not trust: invalid before the database is even asked.
    foreign = token_factory.refresh_token(str(user.pk), jti=str(uuid.uuid4()))
    with pytest.raises(ApplicationError):
        token_refresh(refresh=foreign)


def test_an_expired_refresh_token_says_so(user, settings, django_clock):
    lifetime, leeway = (
        settings.IDENTITY["REFRESH_TOKEN_SECONDS"],
        settings.SERVICEKIT["JWT"]["LEEWAY_SECONDS"],
    )
    django_clock.shift(-(lifetime + leeway + 1))  # issued one second too long ago
    pair = token_pair_issue(user=user)
    assert refresh_error(pair.refresh).code == "token_expired"


def test_a_refresh_token_within_its_lifetime_is_not_expired(user, settings, django_clock):
    django_clock.shift(-(settings.IDENTITY["REFRESH_TOKEN_SECONDS"] - 60))
    pair = token_pair_issue(user=user)
    token_refresh(refresh=pair.refresh)
