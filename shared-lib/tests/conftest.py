"""Fixtures shared by servicekit's own tests."""

from __future__ import annotations

import functools

import pytest


@pytest.fixture
def identity(api_key_server):
    """identity's introspection endpoint (servicekit's ``api_key_server``), whose keys may call
    the whoami view (``account:read``) unless a test gives them other scopes."""
    api_key_server.new_key = functools.partial(api_key_server.new_key, scopes=["account:read"])
    return api_key_server
