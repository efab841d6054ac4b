"""servicekit.websession: a staff-only web area (tests/testapp/web.py) signed in with identity's
tokens kept in HttpOnly cookies: the login page, CSRF, refresh rotation, sign-out, refusals."""

from __future__ import annotations

import json
import threading
import time

import jwt
import pytest
from django.db import connection
from django.test import Client

from servicekit.testing.http_server import LocalHttpServer
from servicekit.websession.session import MAX_COOKIE_AGE_SECONDS
from tests.testapp.web import AREA

pytestmark = pytest.mark.django_db

ACCESS, REFRESH = AREA.access_cookie, AREA.refresh_cookie
CSRF_COOKIE = "testsvc_csrftoken"


@pytest.fixture
def browser(web_client_for):
    """``browser(roles=..., **claims)``: a client holding the area's cookies (staff by default)."""

    def make(*, roles=("staff",), **options):
        return web_client_for(AREA, roles=roles, **options)

    return make


def csrf_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    response = client.get("/web/login/")
    assert response.status_code == 200
    return client, response.cookies[CSRF_COOKIE].value


def post_session(client: Client, body: object, csrf: str | None):
    headers = {"HTTP_X_CSRFTOKEN": csrf} if csrf else {}
    return client.post("/web/session/", json.dumps(body), content_type="application/json", **headers)


# -- the login page ------------------------------------------------------------------------


def test_the_login_page_sets_the_csrf_cookie_and_points_its_form_at_identity_and_the_area():
    response = Client().get("/web/login/?next=/web/whoami/")
    html = response.content.decode()
    assert response.status_code == 200
    assert CSRF_COOKIE in response.cookies
    assert 'data-login-url="/api/v1/auth/login/"' in html
    assert 'data-session-url="/web/session/"' in html
    assert 'data-next="/web/whoami/"' in html
    assert 'name="csrfmiddlewaretoken"' in html  # what login.js sends as X-CSRFToken
    assert "/static/testsvc/servicekit/websession/login.js" in html


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/web/", "//evil.example/web/", "/builds/", "/api/v1/x/"]
)
def test_the_login_page_never_leads_out_of_the_area(next_url):
    html = Client().get("/web/login/", {"next": next_url}).content.decode()
    assert 'data-next="/web/"' in html


def test_the_login_script_is_served_by_the_service():
    response = Client().get("/static/testsvc/servicekit/websession/login.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"X-CSRFToken" in body and b"credentials" in body


def test_a_signed_in_browser_on_the_login_page_goes_on(browser):
    response = browser().get("/web/login/?next=/web/whoami/")
    assert response.status_code == 302 and response["Location"] == "/web/whoami/"


# -- starting a session --------------------------------------------------------------------


def test_the_session_keeps_identitys_pair_in_httponly_cookies_of_the_area(token_factory):
    client, csrf = csrf_client()
    access, refresh = token_factory.access_token(roles=("staff",)), token_factory.refresh_token()
    response = post_session(client, {"access": access, "refresh": refresh, "next": "/web/whoami/"}, csrf)
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"next": "/web/whoami/", "staff": True}
    for name, value in ((ACCESS, access), (REFRESH, refresh)):
        cookie = response.cookies[name]
        assert cookie.value == value
        assert cookie["httponly"] and cookie["path"] == "/web/" and cookie["samesite"] == "Lax"
        assert 7 * 24 * 3600 - 60 <= int(cookie["max-age"]) <= 7 * 24 * 3600  # the refresh token's life
    assert client.get("/web/").status_code == 200


def test_the_cookies_never_outlive_the_cap(token_factory):
    client, csrf = csrf_client()
    refresh = token_factory.refresh_token(lifetime=365 * 86400)
    response = post_session(client, {"access": token_factory.access_token(), "refresh": refresh}, csrf)
    assert int(response.cookies[REFRESH]["max-age"]) == MAX_COOKIE_AGE_SECONDS


def test_a_session_without_the_csrf_token_is_refused_and_sets_nothing(token_factory):
    client, _ = csrf_client()
    body = {"access": token_factory.access_token(roles=("staff",)), "refresh": token_factory.refresh_token()}
    response = post_session(client, body, None)
    assert response.status_code == 403
    assert ACCESS not in response.cookies
    assert client.get("/web/").status_code == 302


@pytest.mark.parametrize("access", ["", "not-a-token", "expired", "forged", "refresh-as-access", None])
def test_a_session_whose_access_token_does_not_verify_is_refused(token_factory, access):
    tokens = {
        "expired": token_factory.access_token(lifetime=-3600),
        "forged": token_factory.forge(token_factory.claims(), alg="HS256"),
        "refresh-as-access": token_factory.refresh_token(),
    }
    client, csrf = csrf_client()
    response = post_session(client, {"access": tokens.get(access, access), "refresh": "r"}, csrf)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert ACCESS not in response.cookies


@pytest.mark.parametrize("body", [["a", "list"], "text", {"access": "x"}, {"access": "x", "refresh": 7}])
def test_a_session_body_of_the_wrong_shape_is_a_4xx_envelope(token_factory, body):
    client, csrf = csrf_client()
    if isinstance(body, dict):
        body = {**body, "access": token_factory.access_token(roles=("staff",))}
    response = post_session(client, body, csrf)
    assert response.status_code in (400, 401)
    assert response.json()["error"]["code"] in ("validation_error", "not_authenticated")
    assert ACCESS not in response.cookies


def test_the_session_views_take_only_their_method():
    assert Client().get("/web/session/").status_code == 405
    assert Client().get("/web/logout/").status_code == 405
    assert Client().post("/web/login/").status_code == 405


# -- who may see the pages -----------------------------------------------------------------


def test_a_signed_out_page_leads_to_the_login_page_and_json_is_a_401():
    response = Client().get("/web/whoami/?a=1")
    assert response.status_code == 302
    assert response["Location"] == "/web/login/?next=%2Fweb%2Fwhoami%2F%3Fa%3D1"
    response = Client().get("/web/whoami/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_staff_see_the_area(browser):
    client = browser(user_id="0b7c1f9e-2222-4d3e-8f00-000000000001")
    response = client.get("/web/")
    assert response.status_code == 200
    assert "Signed in as 0b7c1f9e-2222-4d3e-8f00-000000000001 (staff)" in response.content.decode()


def test_a_signed_in_user_without_the_staff_role_gets_a_403_page_and_may_sign_out(browser):
    client = browser(roles=("customer", "vendor"))
    response = client.get("/web/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Forbidden" in html and "This area is for staff." in html
    assert 'action="/web/logout/"' in html and "signed in, not staff" in html
    response = client.get("/web/whoami/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_another_areas_cookies_sign_nobody_in(token_factory):
    client = Client()
    client.cookies["builds_console_access"] = token_factory.access_token(roles=("staff",))
    assert client.get("/web/").status_code == 302


def test_a_views_not_found_and_permission_denied_are_the_areas_pages(browser):
    client = browser()
    missing = client.get("/web/missing/")
    assert missing.status_code == 404 and "No such thing." in missing.content.decode()
    assert client.get("/web/forbidden/").status_code == 403
    as_json = client.get("/web/missing/", HTTP_ACCEPT="application/json")
    assert as_json.status_code == 404 and as_json.json()["error"]["code"] == "not_found"


def test_identitys_keys_unreachable_is_a_503_page_and_signing_in_is_still_offered(jwks_server, browser):
    client = browser()
    jwks_server.available = False  # the plugin makes it available again after the test
    response = client.get("/web/")
    assert response.status_code == 503
    assert "Error 503" in response.content.decode()
    assert client.get("/web/login/").status_code == 200


# -- refresh and sign-out ------------------------------------------------------------------


def test_an_expired_access_cookie_is_rotated_with_the_refresh_cookie(identity_sessions, browser):
    client = browser(user_id=identity_sessions.user_id, lifetime=-3600)
    refresh = client.cookies[REFRESH].value
    response = client.get("/web/")
    assert response.status_code == 200
    assert response.cookies[ACCESS].value == identity_sessions.issued[-1]
    assert response.cookies[ACCESS]["path"] == "/web/"
    assert [r.path for r in identity_sessions.server.requests] == ["/api/v1/auth/refresh/"]
    assert identity_sessions.server.requests[0].json() == {"refresh": refresh}
    assert client.get("/web/whoami/").status_code == 200
    assert identity_sessions.server.request_count == 1  # the new cookie is used from then on


def test_requests_refreshing_one_token_at_once_share_one_new_pair(identity_sessions, token_factory):
    refresh = token_factory.refresh_token(identity_sessions.user_id)
    expired = token_factory.access_token(identity_sessions.user_id, lifetime=-3600)
    answers = []

    def visit():
        client = Client()
        client.cookies[ACCESS], client.cookies[REFRESH] = expired, refresh
        response = client.get("/web/whoami/")
        answers.append((response.status_code, response.cookies[ACCESS].value))
        connection.close()

    first = Client()
    first.cookies[ACCESS], first.cookies[REFRESH] = expired, refresh
    assert first.get("/web/").status_code == 200
    identity_sessions.refusing = True  # rotated now: identity refuses the old token from here on
    threads = [threading.Thread(target=visit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [(200, identity_sessions.issued[0])] * 3
    assert identity_sessions.server.request_count == 1


def test_a_refused_refresh_signs_the_browser_out(identity_sessions, browser):
    identity_sessions.refusing = True
    client = browser(user_id=identity_sessions.user_id, lifetime=-3600)
    started = time.monotonic()
    response = client.get("/web/")
    assert response.status_code == 302 and response["Location"].startswith("/web/login/")
    assert response.cookies[REFRESH].value == "" and response.cookies[REFRESH]["path"] == "/web/"
    assert time.monotonic() - started < 5  # waited only for a sibling request's pair


def test_identity_unreachable_on_refresh_signs_the_browser_out(monkeypatch, settings, browser):
    with LocalHttpServer(lambda request: (200, {})) as server:
        url = server.url
    monkeypatch.setitem(settings.SERVICEKIT, "IDENTITY_INTERNAL_URL", url)  # nothing listens there now
    response = browser(lifetime=-3600).get("/web/")
    assert response.status_code == 302 and response["Location"].startswith("/web/login/")


def test_a_revoked_access_token_is_not_refreshed(identity_sessions, monkeypatch, browser):
    from servicekit.auth import revocations as revocations_module

    client = browser(user_id=identity_sessions.user_id, iat=1_000)
    monkeypatch.setattr(
        revocations_module.revocations,
        "is_revoked",
        lambda user_id, issued_at: user_id == identity_sessions.user_id,
    )
    assert client.get("/web/").status_code == 302
    assert identity_sessions.server.request_count == 0


def test_sign_out_revokes_the_refresh_token_and_clears_the_cookies(identity_sessions, browser):
    client = browser()
    refresh = client.cookies[REFRESH].value
    response = client.post("/web/logout/")
    assert response.status_code == 302 and response["Location"] == "/web/login/"
    assert [(r.path, r.json()) for r in identity_sessions.server.requests] == [
        ("/api/v1/auth/logout/", {"refresh": refresh})
    ]
    assert response.cookies[ACCESS].value == "" and response.cookies[ACCESS]["path"] == "/web/"
    assert client.get("/web/").status_code == 302


def test_the_refresh_token_claims_size_the_cookie_even_when_unsigned(token_factory):
    """identity checks the refresh token on use; the area only reads its exp."""
    client, csrf = csrf_client()
    refresh = jwt.encode({"exp": int(time.time()) + 3600}, "x" * 32, algorithm="HS256")
    response = post_session(client, {"access": token_factory.access_token(), "refresh": refresh}, csrf)
    assert 3500 <= int(response.cookies[REFRESH]["max-age"]) <= 3600
