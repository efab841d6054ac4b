"""The builds service's settings: the token secret (flat-manager's base64 form too) and the
production refusal of the development default."""

from __future__ import annotations

from pathlib import Path

import pytest

from builds.config import DEV_TOKEN_SECRET, builds_settings, token_secret
from servicekit.settings import ImproperlyConfiguredForProduction


def test_a_base64_secret_is_decoded_as_flat_manager_does():
    assert token_secret("base64:c2VjcmV0") == b"secret"
    assert token_secret("plain secret") == b"plain secret"


def test_production_refuses_the_development_token_secret(monkeypatch):
    monkeypatch.delenv("BUILDS_TOKEN_SECRET", raising=False)
    with pytest.raises(ImproperlyConfiguredForProduction, match="BUILDS_TOKEN_SECRET"):
        builds_settings(base_dir=Path("/srv"), environment="production")

    monkeypatch.setenv("BUILDS_TOKEN_SECRET", "a-real-secret-for-production-use")
    monkeypatch.setenv("BUILDS_STORAGE_DIR", "/srv/builds")
    settings = builds_settings(base_dir=Path("/srv"), environment="production")
    assert settings["TOKEN_SECRET"] == b"a-real-secret-for-production-use"
    assert settings["STORAGE_DIR"] == Path("/srv/builds")


def test_development_defaults(monkeypatch):
    for name in ("BUILDS_TOKEN_SECRET", "BUILDS_STORAGE_DIR", "BUILDS_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = builds_settings(base_dir=Path("/code/services/builds"), environment="development")
    assert settings["TOKEN_SECRET"] == DEV_TOKEN_SECRET.encode()
    assert settings["STORAGE_DIR"] == Path("/code/services/builds/var/builds")
    assert settings["PUBLIC_URL"] == "http://localhost:8080"
