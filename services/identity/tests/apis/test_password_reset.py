"""POST /auth/password-reset/ and /auth/password-reset/confirm/."""

from __future__ import annotations

from functools import partial

import pytest
from rest_framework.test import APIClient

from identity.tokens.services import token_pair_issue
from servicekit.testing.concurrency import results_concurrently
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
REQUEST, CONFIRM = "/api/v1/auth/password-reset/", "/api/v1/auth/password-reset/confirm/"
NEW_PASSWORD = "an0ther-Long-passphrase"


def test_the_answer_does_not_reveal_whether_the_account_exists(api_client, user, captured_events):
    known = api_client.post(REQUEST, {"email": user.email}, format="json")
    unknown = api_client.post(REQUEST, {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    assert captured_events.types == ["identity.user.password_reset_requested"]


def test_reset_then_log_in_with_the_new_password(api_client, user, captured_events):
    api_client.post(REQUEST, {"email": user.email}, format="json")
    token = captured_events.of_type("identity.user.password_reset_requested")[0].data["reset_token"]
    response = api_client.post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 204
    login = "/api/v1/auth/login/"
    assert (
        api_client.post(login, {"email": user.email, "password": PASSWORD}, format="json").status_code == 401
    )
    assert (
        api_client.post(login, {"email": user.email, "password": NEW_PASSWORD}, format="json").status_code
        == 200
    )
    reused = api_client.post(CONFIRM, {"token": token, "new_password": "third-Passphrase-77"}, format="json")
    assert reused.status_code == 400 and reused.json()["error"]["code"] == "invalid_token"


def test_confirm_validation(api_client, user, captured_events):
    api_client.post(REQUEST, {"email": user.email}, format="json")
    token = captured_events.of_type("identity.user.password_reset_requested")[0].data["reset_token"]
    weak = api_client.post(CONFIRM, {"token": token, "new_password": "1234"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["details"]
    missing = api_client.post(CONFIRM, {"new_password": NEW_PASSWORD}, format="json")
    assert missing.status_code == 400 and "token" in missing.json()["error"]["details"]
    bogus = api_client.post(CONFIRM, {"token": "bogus", "new_password": NEW_PASSWORD}, format="json")
    assert bogus.status_code == 400 and bogus.json()["error"]["code"] == "invalid_token"


def test_request_needs_an_email(api_client):
    response = api_client.post(REQUEST, {"email": "nope"}, format="json")
    assert response.status_code == 400 and "email" in response.json()["error"]["details"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_with_one_token_succeed_once(api_client, user, captured_events):
    token_pair_issue(user=user)
    api_client.post(REQUEST, {"email": user.email}, format="json")
    token = captured_events.of_type("identity.user.password_reset_requested")[0].data["reset_token"]
    passwords = [f"race-Passphrase-{n}x" for n in range(6)]

    def confirm(n: int):
        return APIClient().post(CONFIRM, {"token": token, "new_password": passwords[n]}, format="json")

    responses = results_concurrently([partial(confirm, n) for n in range(len(passwords))])
    assert sorted(response.status_code for response in responses) == [204] + [400] * 5
    (winner,) = [n for n, response in enumerate(responses) if response.status_code == 204]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(passwords[winner])
    assert len(captured_events.of_type("identity.user.tokens_revoked")) == 1


def test_the_reset_link_leads_to_the_account_page_and_the_event_says_the_users_language(
    api_client, user, captured_events
):
    user.language = "es"
    user.save()

    api_client.post(REQUEST, {"email": user.email}, format="json")

    data = captured_events.of_type("identity.user.password_reset_requested")[0].data
    assert data["language"] == "es"
    assert data["reset_url"] == f"http://localhost:8080/account/reset-password/?token={data['reset_token']}"
