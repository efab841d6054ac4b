"""What the API tests share: callers (a user, another user, staff, API keys), and reading answers."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def user(client_for, user_id):
    """The caller: a customer signed in with a token."""
    return client_for(user_id)


@pytest.fixture
def stranger(client_for):
    """Another customer."""
    return client_for(uuid.uuid4())


def code_of(response) -> str | None:
    return response.json().get("error", {}).get("code")


def details_of(response) -> dict:
    return response.json()["error"]["details"]


def data_of(response):
    return response.json()["data"]
