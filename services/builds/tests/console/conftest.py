import pytest
from django.test import Client

from builds.console.session import CONSOLE


@pytest.fixture
def console_for(web_client_for):
    """``console_for(roles=...)``: a browser-like client signed in to the console (the cookies
    the login page's script would have got), with ``.user_id``."""

    def make(*, roles=("customer",), user_id=None, enforce_csrf=False) -> Client:
        return web_client_for(CONSOLE, roles=roles, user_id=user_id, enforce_csrf=enforce_csrf)

    return make


@pytest.fixture
def staff_console(console_for):
    return console_for(roles=("staff",))


@pytest.fixture
def user_console(console_for):
    return console_for()
