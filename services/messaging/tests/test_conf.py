"""messaging's settings from the environment, and what production refuses."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.conf import EML_BACKEND, messaging_settings
from servicekit.settings import Env, ImproperlyConfiguredForProduction

BASE_DIR = Path("/app/services/messaging")


def conf(environment: str):
    return messaging_settings(Env(), base_dir=BASE_DIR, environment=environment)


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "MESSAGING_PROVIDER",
        "MESSAGING_WEBHOOK_SECRET",
        "EMAIL_URL",
        "EMAIL_PORT",
        "WAHA_API_KEY",
        "EMAIL_BACKEND",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_uses_the_loopback_phone_and_writes_mail_to_files(clean_env):
    settings = conf("development")

    assert settings["MESSAGING"]["PROVIDER"] == "loopback"
    assert settings["EMAIL"]["EMAIL_BACKEND"] == EML_BACKEND
    assert settings["MESSAGING"]["MEDIA_URL_ALLOW_PRIVATE"] is True
    assert [code for code, _ in settings["LANGUAGES"]] == ["en", "es"]


def test_production_refuses_to_start_with_development_defaults(clean_env):
    with pytest.raises(ImproperlyConfiguredForProduction) as raised:
        conf("production")

    message = str(raised.value)
    for problem in ("MESSAGING_WEBHOOK_SECRET", "EMAIL_URL", "WAHA_API_KEY"):
        assert problem in message


def test_production_with_its_secrets_sends_through_waha_and_smtp(clean_env):
    clean_env.setenv("MESSAGING_WEBHOOK_SECRET", "a-real-secret-of-thirty-two-chars-or-more")
    clean_env.setenv("WAHA_API_KEY", "a-real-key")
    clean_env.setenv("EMAIL_URL", "smtp+tls://mailer:pw@smtp.example.com:587")

    settings = conf("production")

    assert settings["MESSAGING"]["PROVIDER"] == "waha"
    assert settings["MESSAGING"]["MEDIA_URL_ALLOW_PRIVATE"] is False
    assert settings["EMAIL"]["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (
        settings["EMAIL"]["EMAIL_HOST"],
        settings["EMAIL"]["EMAIL_PORT"],
        settings["EMAIL"]["EMAIL_USE_TLS"],
    ) == (
        "smtp.example.com",
        587,
        True,
    )


def test_email_port_from_the_configuration_wins_over_the_urls(clean_env):
    clean_env.setenv("EMAIL_URL", "smtp+tls://mailer:pw@smtp.example.com")
    clean_env.setenv("EMAIL_PORT", "2525")

    email = conf("development")["EMAIL"]

    assert (email["EMAIL_HOST"], email["EMAIL_PORT"]) == ("smtp.example.com", 2525)


def test_an_unknown_provider_is_refused(clean_env):
    clean_env.setenv("MESSAGING_PROVIDER", "carrier-pigeon")

    with pytest.raises(ImproperlyConfigured, match="MESSAGING_PROVIDER"):
        conf("development")


def test_mail_lands_under_var_mail_of_the_checkout_or_beside_the_service(clean_env, tmp_path):
    from django.conf import settings

    checkout = messaging_settings(Env(), base_dir=settings.BASE_DIR, environment="development")
    image = messaging_settings(Env(), base_dir=tmp_path / "app", environment="development")

    assert Path(checkout["MAIL_DIR"]) == settings.BASE_DIR.parent.parent / "var" / "mail"
    assert Path(image["MAIL_DIR"]) == tmp_path / "app" / "var" / "mail"


def test_the_beat_schedule_names_tasks_the_worker_knows(settings):
    from messaging.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
