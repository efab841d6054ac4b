"""Signing in to the console (servicekit.websession, whose own tests cover the mechanics):
identity's pair kept in HttpOnly cookies for /builds/, CSRF, refresh, sign-out."""

import json

import pytest
from django.test import Client

from builds.console.session import CONSOLE

pytestmark = pytest.mark.django_db

ACCESS_COOKIE, REFRESH_COOKIE, COOKIE_PATH = CONSOLE.access_cookie, CONSOLE.refresh_cookie, CONSOLE.path


def _csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    response = client.get("/builds/login/")
    assert response.status_code == 200
    return client, response.cookies["builds_csrftoken"].value


def test_login_page_sets_the_csrf_cookie_and_points_the_form_at_identity():
    client = Client()
    response = client.get("/builds/login/?next=/builds/7/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "builds_csrftoken" in response.cookies
    assert 'data-login-url="/api/v1/auth/login/"' in html
    assert 'data-next="/builds/7/"' in html


def test_login_page_never_sends_the_user_off_site():
    html = Client().get("/builds/login/?next=https://evil.example/builds/").content.decode()
    assert 'data-next="/builds/"' in html


def test_session_keeps_identitys_pair_in_httponly_cookies(token_factory):
    client, csrf = _csrf_client()
    access = token_factory.access_token(roles=("staff",))
    refresh = token_factory.refresh_token()
    response = client.post(
        "/builds/session/",
        json.dumps({"access": access, "refresh": refresh, "next": "/builds/repos/"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"next": "/builds/repos/", "staff": True}
    for name, value in ((ACCESS_COOKIE, access), (REFRESH_COOKIE, refresh)):
        cookie = response.cookies[name]
        assert cookie.value == value
        assert cookie["httponly"] and cookie["path"] == COOKIE_PATH and cookie["samesite"] == "Lax"
        assert 0 < int(cookie["max-age"]) <= 7 * 24 * 3600
    assert client.get("/builds/").status_code == 200


def test_session_without_the_csrf_token_is_refused_and_sets_nothing(token_factory):
    client, _ = _csrf_client()
    body = {"access": token_factory.access_token(), "refresh": token_factory.refresh_token()}
    response = client.post("/builds/session/", json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert ACCESS_COOKIE not in response.cookies
    assert client.get("/builds/").status_code == 302


def test_anonymous_pages_redirect_to_the_login_page_and_json_is_a_401():
    client = Client()
    response = client.get("/builds/repos/")
    assert response.status_code == 302
    assert response["Location"] == "/builds/login/?next=%2Fbuilds%2Frepos%2F"
    response = client.get("/builds/jobs/1/log/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_expired_access_cookie_is_rotated_with_the_refresh_cookie(identity_sessions, token_factory):
    client = Client()
    client.cookies[ACCESS_COOKIE] = token_factory.access_token(identity_sessions.user_id, lifetime=-3600)
    client.cookies[REFRESH_COOKIE] = token_factory.refresh_token(identity_sessions.user_id)
    response = client.get("/builds/")
    assert response.status_code == 200
    assert response.cookies[ACCESS_COOKIE].value == identity_sessions.issued[-1]
    assert [r.path for r in identity_sessions.server.requests] == ["/api/v1/auth/refresh/"]
    # The new cookie is used from then on: no second refresh.
    assert client.get("/builds/repos/").status_code == 200
    assert identity_sessions.server.request_count == 1


def test_a_refused_refresh_signs_the_browser_out(identity_sessions, token_factory):
    identity_sessions.refusing = True
    client = Client()
    client.cookies[ACCESS_COOKIE] = token_factory.access_token(identity_sessions.user_id, lifetime=-3600)
    client.cookies[REFRESH_COOKIE] = token_factory.refresh_token(identity_sessions.user_id)
    response = client.get("/builds/")
    assert response.status_code == 302
    assert response["Location"].startswith("/builds/login/")
    assert response.cookies[REFRESH_COOKIE].value == ""  # deleted


def test_sign_out_revokes_the_refresh_token_and_clears_the_cookies(identity_sessions, staff_console):
    refresh = staff_console.cookies[REFRESH_COOKIE].value
    response = staff_console.post("/builds/logout/")
    assert response.status_code == 302 and response["Location"] == "/builds/login/"
    assert [(r.path, r.json()) for r in identity_sessions.server.requests] == [
        ("/api/v1/auth/logout/", {"refresh": refresh})
    ]
    assert staff_console.get("/builds/").status_code == 302


def test_identitys_keys_unreachable_is_a_503_page_not_a_crash(user_console, jwks_server):
    jwks_server.available = False
    response = user_console.get("/builds/")
    assert response.status_code == 503
    assert b"unavailable" in response.content
    assert user_console.get("/builds/login/").status_code == 200  # signing in is still offered


def test_the_login_page_sends_a_signed_in_browser_on_with_its_rotated_cookies(
    identity_sessions, token_factory
):
    client = Client()
    client.cookies[ACCESS_COOKIE] = token_factory.access_token(identity_sessions.user_id, lifetime=-3600)
    client.cookies[REFRESH_COOKIE] = token_factory.refresh_token(identity_sessions.user_id)
    response = client.get("/builds/login/?next=/builds/repos/")
    assert response.status_code == 302 and response["Location"] == "/builds/repos/"
    assert response.cookies[ACCESS_COOKIE].value == identity_sessions.issued[-1]
