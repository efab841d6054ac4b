import jwt
import pytest
from django.test import Client

from builds.console.session import ACCESS_COOKIE, REFRESH_COOKIE


@pytest.fixture
def console_for(token_factory):
    """``console_for(roles=...)``: a browser-like client signed in to the console (the cookies
    the login page's script would have got), with ``.user_id``."""

    def make(*, roles=("customer",), user_id=None, enforce_csrf=False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf)
        token = token_factory.access_token(user_id, roles=roles)
        client.user_id = _subject(token)
        client.cookies[ACCESS_COOKIE] = token
        client.cookies[REFRESH_COOKIE] = token_factory.refresh_token(client.user_id)
        return client

    return make


def _subject(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["sub"]


@pytest.fixture
def staff_console(console_for):
    return console_for(roles=("staff",))


@pytest.fixture
def user_console(console_for):
    return console_for()
