"""/account/verify/ and /account/reset-password/: the pages identity's e-mailed links lead to.
They hand the token to identity's public API on the same origin; opening one changes nothing."""

import re

import pytest

VERIFY = "/account/verify/"
RESET = "/account/reset-password/"
TOKEN = "Zq3-vXh_8kP2mN5rT1wY9bC4dF6gH0jL7sA2eR8uI3o"


def form_of(html: str) -> dict:
    """The account form as the page's script reads it: where it posts, and its named fields."""
    action = re.search(r'<form id="account-form" method="post" action="([^"]+)"', html)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    named = re.findall(r'<input type="password" id="\w+" name="(\w+)"', html)
    return {"action": action and action.group(1), "hidden": fields, "passwords": named}


@pytest.mark.django_db
def test_the_verification_page_posts_the_token_to_identitys_api(client):
    response = client.get(VERIFY, {"token": TOKEN})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert form_of(html) == {
        "action": "/api/v1/auth/verify-email/",
        "hidden": {"token": TOKEN},
        "passwords": [],
    }
    assert '<script src="/static/messaging/links/account.js" defer></script>' in html
    assert "Verify my address" in html
    # Without the script the browser would post a form, which the JSON API answers with a 415.
    assert re.search(r"<noscript>.*needs JavaScript.*</noscript>", html)


@pytest.mark.django_db
def test_the_reset_page_asks_for_the_new_password_twice_and_sends_it_once(client):
    html = client.get(RESET, {"token": TOKEN}).content.decode()

    assert form_of(html) == {
        "action": "/api/v1/auth/password-reset/confirm/",
        "hidden": {"token": TOKEN},
        "passwords": ["new_password"],  # the confirmation has no name: the script compares it
    }
    assert 'data-confirms="new_password"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", [VERIFY, RESET])
@pytest.mark.parametrize(
    "query", [{}, {"token": ""}, {"token": '"><script>alert(1)</script>'}, {"token": "x" * 129}]
)
def test_a_link_without_a_usable_token_says_so_and_offers_no_form(client, path, query):
    response = client.get(path, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert "This link is incomplete" in html
    assert "account-form" not in html
    assert "<script>alert" not in html


@pytest.mark.django_db
def test_the_pages_speak_the_browsers_language_or_the_one_asked_for(client):
    spanish = client.get(VERIFY, {"token": TOKEN}, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    asked = client.get(RESET, {"token": TOKEN, "lang": "es"}, HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.get(VERIFY, {"token": TOKEN}, HTTP_ACCEPT_LANGUAGE="fr")

    assert spanish["Content-Language"] == "es"
    assert "Verificar mi dirección" in spanish.content.decode()
    assert '<html lang="es">' in spanish.content.decode()
    assert "Cambiar mi contraseña" in asked.content.decode()
    assert unknown["Content-Language"] == "en"
    assert "Verify my address" in unknown.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", [VERIFY, RESET])
def test_the_pages_take_no_posts(client, path):
    response = client.post(f"{path}?token={TOKEN}", {"token": TOKEN})

    assert response.status_code == 405


@pytest.mark.django_db
def test_the_pages_script_is_served(client):
    response = client.get("/static/messaging/links/account.js")

    assert response.status_code == 200
    script = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"fetch(form.action" in script
