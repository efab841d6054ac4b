"""POST /auth/login/, /auth/refresh/, /auth/logout/, /auth/logout-all/: the token lifecycle."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from identity.logins.models import LoginAttempt, Outcome
from identity.tokens.models import RefreshToken
from servicekit.auth.tokens import verify_access_token as servicekit_verify
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN, REFRESH, LOGOUT, LOGOUT_ALL = (
    "/api/v1/auth/login/",
    "/api/v1/auth/refresh/",
    "/api/v1/auth/logout/",
    "/api/v1/auth/logout-all/",
)


def login(api_client, user, password=PASSWORD, **extra):
    return api_client.post(LOGIN, {"email": user.email, "password": password}, format="json", **extra)


def bearer(api_client, access: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api_client


def test_login_answers_the_contract_shape_and_the_token_works(api_client, user):
    response = login(api_client, user)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"access", "refresh", "token_type", "expires_in"}
    assert data["token_type"] == "Bearer" and 0 < data["expires_in"] <= 900
    me = bearer(api_client, data["access"]).get("/api/v1/auth/me/")
    assert me.status_code == 200 and me.json()["data"]["id"] == str(user.pk)


def test_login_records_the_ip_the_gateway_saw_and_the_user_agent(api_client, user, captured_events):
    login(
        api_client,
        user,
        HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.23",  # spoofed entry first, the gateway's last
        HTTP_USER_AGENT="curl/8.5",
    )
    attempt = LoginAttempt.objects.get()
    assert (attempt.ip, attempt.user_agent, attempt.outcome) == (
        "198.51.100.23",
        "curl/8.5",
        Outcome.SUCCEEDED,
    )
    captured_events.assert_published("identity.user.logged_in", ip="198.51.100.23")


def test_wrong_password_and_unknown_email_answer_identically(api_client, user):
    wrong = login(api_client, user, password="wrong")
    unknown = api_client.post(LOGIN, {"email": "nobody@example.com", "password": "wrong"}, format="json")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_login_validation_errors(api_client):
    response = api_client.post(LOGIN, {"email": "ada@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"password": ["This field is required."]}


def test_refresh_rotates_and_the_old_refresh_token_is_then_rejected_as_reused(
    api_client, user, django_clock, settings
):
    first = login(api_client, user).json()["data"]
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()["data"]
    assert second["refresh"] != first["refresh"] and second["access"] != first["access"]

    django_clock.shift(settings.IDENTITY["REFRESH_REUSE_GRACE_SECONDS"])  # past the grace period
    reused = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"
    # Reuse detection signed the whole account out, the legitimate new token included.
    after = api_client.post(REFRESH, {"refresh": second["refresh"]}, format="json")
    assert after.status_code == 401 and after.json()["error"]["code"] == "token_revoked"


def test_a_second_refresh_with_the_same_token_right_away_signs_nobody_out(api_client, user):
    other_session = login(api_client, user).json()["data"]
    first = login(api_client, user).json()["data"]
    second = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json").json()["data"]
    again = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")  # another tab, a retry
    assert again.status_code == 401 and again.json()["error"]["code"] == "token_revoked"
    for session in (second, other_session):
        assert api_client.post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 200


def test_refresh_validation_and_garbage(api_client):
    assert api_client.post(REFRESH, {}, format="json").status_code == 400
    garbage = api_client.post(REFRESH, {"refresh": "garbage"}, format="json")
    assert garbage.status_code == 401 and garbage.json()["error"]["code"] == "token_invalid"


def test_a_refresh_token_is_not_accepted_as_an_access_token(api_client, user):
    tokens = login(api_client, user).json()["data"]
    response = bearer(api_client, tokens["refresh"]).get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = login(api_client, user).json()["data"]
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    refused = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204


def test_logout_with_an_already_rotated_refresh_token_ends_the_session(api_client, user):
    other_session = login(api_client, user).json()["data"]
    first = login(api_client, user).json()["data"]
    second = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json").json()["data"]
    assert api_client.post(LOGOUT, {"refresh": first["refresh"]}, format="json").status_code == 204
    refused = api_client.post(REFRESH, {"refresh": second["refresh"]}, format="json")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    assert api_client.post(REFRESH, {"refresh": other_session["refresh"]}, format="json").status_code == 200


def test_logout_everywhere_revokes_every_session_of_the_caller(api_client, user, captured_events):
    sessions = [login(api_client, user).json()["data"] for _ in range(3)]
    response = bearer(api_client, sessions[0]["access"]).post(LOGOUT_ALL)
    assert response.status_code == 200 and response.json()["data"] == {"revoked": 3}
    api_client.credentials()
    for session in sessions:
        assert api_client.post(REFRESH, {"refresh": session["refresh"]}, format="json").status_code == 401
    captured_events.assert_published(
        "identity.user.tokens_revoked", user_id=str(user.pk), reason="logout_all"
    )


def test_logout_everywhere_needs_a_user_token(api_client):
    assert api_client.post(LOGOUT_ALL).status_code == 401


def test_deactivated_accounts_cannot_log_in_or_refresh(api_client, user):
    tokens = login(api_client, user).json()["data"]
    user.is_active = False
    user.save()
    refused = login(api_client, user)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_inactive"
    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 401 and refresh.json()["error"]["code"] == "account_inactive"
    assert RefreshToken.objects.filter(user=user).count() == 1


class FrozenClock:
    """identity's clock (``timezone.now``: token claims, revocation times) standing still at a
    known moment until moved, so a test can put several steps inside one second."""

    def __init__(self, monkeypatch, start: datetime) -> None:
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_logging_in_and_out_everywhere_within_one_second_cuts_off_exactly(
    api_client, user, monkeypatch, captured_events, deliver_event
):
    """A token issued before "log out everywhere" dies and one issued after it lives, though
    all three steps fall in the same second (the cut-off used to compare whole seconds)."""
    second = datetime.fromtimestamp(int(time.time()), tz=UTC)
    clock = FrozenClock(monkeypatch, second + timedelta(seconds=0.2))
    before = login(api_client, user).json()["data"]["access"]
    clock.advance(0.3)
    assert bearer(APIClient(), before).post(LOGOUT_ALL).status_code == 200
    event = captured_events.assert_published("identity.user.tokens_revoked", user_id=str(user.pk))
    deliver_event(event.type, event.data, subject=event.subject, producer="identity")  # the consumer
    clock.advance(0.3)
    after = login(api_client, user).json()["data"]["access"]

    issued = [jwt.decode(token, options={"verify_signature": False})["iat"] for token in (before, after)]
    assert [int(iat) for iat in issued] == [int(second.timestamp())] * 2  # one second
    refused = bearer(APIClient(), before).get("/api/v1/auth/me/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    assert bearer(APIClient(), after).get("/api/v1/auth/me/").status_code == 200
    # Every other service decides the same (servicekit.auth, against the JWKS).
    with pytest.raises(AuthenticationFailed):
        servicekit_verify(before)
    assert servicekit_verify(after).id == str(user.pk)
