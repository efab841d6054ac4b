"""identity's own settings: production refuses to start without a signing key; values out of
range are refused everywhere."""

from __future__ import annotations

import runpy
from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from identity.conf import identity_settings
from servicekit.settings import ImproperlyConfiguredForProduction, base

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "JWT_PRIVATE_KEY",
        "JWT_PRIVATE_KEY_FILE",
        "JWT_ACCESS_TOKEN_SECONDS",
        "JWT_REFRESH_REUSE_GRACE_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_without_a_key_refuses_to_start(clean_env):
    with pytest.raises(ImproperlyConfiguredForProduction, match="JWT_PRIVATE_KEY"):
        identity_settings(environ.Env(), base_dir=BASE_DIR, environment="production")


def test_production_with_a_missing_key_file_refuses_to_start(clean_env, tmp_path):
    clean_env.setenv("JWT_PRIVATE_KEY_FILE", str(tmp_path / "absent.pem"))
    with pytest.raises(ImproperlyConfiguredForProduction, match="does not exist"):
        identity_settings(environ.Env(), base_dir=BASE_DIR, environment="production")


def test_production_starts_with_a_key_in_the_environment(clean_env):
    clean_env.setenv("JWT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----…")
    conf = identity_settings(environ.Env(), base_dir=BASE_DIR, environment="production")
    assert conf["SIGNING_KEYS"]["PRIVATE_KEY_FILE"] is None


def test_development_defaults_to_the_key_under_var(clean_env):
    conf = identity_settings(environ.Env(), base_dir=BASE_DIR, environment="development")
    assert conf["SIGNING_KEYS"]["PRIVATE_KEY_FILE"].endswith("var/keys/jwt-signing.pem")


def test_access_tokens_cannot_outlive_fifteen_minutes(clean_env):
    clean_env.setenv("JWT_ACCESS_TOKEN_SECONDS", "3600")
    with pytest.raises(ImproperlyConfigured, match="JWT_ACCESS_TOKEN_SECONDS") as excinfo:
        identity_settings(environ.Env(), base_dir=BASE_DIR, environment="development")
    assert not isinstance(excinfo.value, ImproperlyConfiguredForProduction)  # wrong everywhere


def test_the_refresh_reuse_grace_defaults_to_ten_seconds_and_is_configurable(clean_env):
    conf = identity_settings(environ.Env(), base_dir=BASE_DIR, environment="development")
    assert conf["REFRESH_REUSE_GRACE_SECONDS"] == 10
    clean_env.setenv("JWT_REFRESH_REUSE_GRACE_SECONDS", "0")
    conf = identity_settings(environ.Env(), base_dir=BASE_DIR, environment="development")
    assert conf["REFRESH_REUSE_GRACE_SECONDS"] == 0


@pytest.mark.parametrize("value", ["-1", "61"])
def test_the_refresh_reuse_grace_is_kept_short(clean_env, value):
    clean_env.setenv("JWT_REFRESH_REUSE_GRACE_SECONDS", value)
    with pytest.raises(ImproperlyConfigured, match="JWT_REFRESH_REUSE_GRACE_SECONDS") as excinfo:
        identity_settings(environ.Env(), base_dir=BASE_DIR, environment="development")
    assert not isinstance(excinfo.value, ImproperlyConfiguredForProduction)


def test_identity_authenticates_in_process(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "identity.authentication.IdentityJWTAuthentication",
        "identity.authentication.IdentityApiKeyAuthentication",
    ]


def test_passwords_are_hashed_with_argon2_outside_tests(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "development")
    hashers = runpy.run_path(base.__file__)["PASSWORD_HASHERS"]
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
