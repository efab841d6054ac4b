"""Settings come from the environment; production refuses insecure defaults."""

from pathlib import Path

import pytest

from servicekit.settings import ImproperlyConfiguredForProduction, service_settings

BASE = Path(__file__).parent


def test_database_url_schema_and_test_name(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_SCHEMA", raising=False)
    db = service_settings("catalog", base_dir=BASE)["DATABASES"]["default"]
    assert db["USER"] == "catalog" and db["NAME"] == "platform"
    assert db["OPTIONS"]["options"] == "-c search_path=catalog"
    assert db["TEST"]["NAME"] == "test_catalog"


def test_production_refuses_default_secret_and_debug(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DEBUG", "true")
    with pytest.raises(ImproperlyConfiguredForProduction) as excinfo:
        service_settings("catalog", base_dir=BASE)
    message = str(excinfo.value)
    assert "DEBUG" in message and "SECRET_KEY" in message and "ALLOWED_HOSTS" in message


def test_production_starts_when_configured(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 50)
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("INTERNAL_API_TOKEN", "t" * 32)
    monkeypatch.setenv("ALLOWED_HOSTS", "catalog,localhost")
    settings = service_settings("catalog", base_dir=BASE)
    assert settings["DEBUG"] is False and settings["SESSION_COOKIE_SECURE"] is True


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "staging-ish")
    with pytest.raises(ImproperlyConfiguredForProduction):
        service_settings("catalog", base_dir=BASE)
