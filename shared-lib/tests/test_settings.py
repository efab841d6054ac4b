"""Settings come from the environment, each variable read once, in servicekit.settings.base;
production refuses insecure defaults."""

import os
import runpy
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import (
    ImproperlyConfiguredForProduction,
    NonBlankEnviron,
    base,
    refuse_insecure_secrets,
    secret_problem,
    with_server_settings,
)

# Set by tests/django_settings.py for this suite's own service; a fresh service has none.
SUITE_VARIABLES = ("DATABASE_URL", "DB_SCHEMA", "DB_TEST_NAME", "CONTRACTS_DIR")


def base_settings(monkeypatch, **env: str) -> dict:
    """servicekit's base settings, as the catalog service would read them from ``env`` now."""
    for name in SUITE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in [name for name in os.environ if name.startswith("EVENTS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SERVICE_NAME", "catalog")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(base.__file__)


def test_database_url_schema_and_test_name(monkeypatch):
    db = base_settings(monkeypatch)["DATABASES"]["default"]
    assert db["USER"] == "catalog" and db["NAME"] == "platform"
    assert db["OPTIONS"]["options"] == "-c search_path=catalog"
    assert db["TEST"]["NAME"] == "test_catalog"


def test_a_service_adds_postgres_settings_as_a_parameter(monkeypatch):
    db = base_settings(monkeypatch, DB_SCHEMA="shop")["DATABASES"]["default"]
    tuned = with_server_settings(db, {"pg_trgm.word_similarity_threshold": 0.4})
    assert tuned["OPTIONS"] == {
        "connect_timeout": 5,
        "options": "-c search_path=shop -c pg_trgm.word_similarity_threshold=0.4",
    }
    assert db["OPTIONS"]["options"] == "-c search_path=shop"  # the base's own is left alone


def test_the_service_is_the_project_whose_settings_load(monkeypatch):
    """tests.django_settings here, catalog.settings in the catalog; SERVICE_NAME may say so too."""
    settings = base_settings(monkeypatch)
    assert settings["SERVICE_NAME"] == "catalog" and settings["ROOT_URLCONF"] == "catalog.urls"
    monkeypatch.delenv("SERVICE_NAME")
    settings = runpy.run_path(base.__file__)
    assert settings["SERVICE_NAME"] == "tests" and settings["BASE_DIR"] == Path(__file__).parents[1]


def test_each_variable_is_read_once(monkeypatch):
    reads = Counter()
    read = NonBlankEnviron.__getitem__

    def counting(self, name):
        reads[name] += 1
        return read(self, name)

    monkeypatch.setattr(NonBlankEnviron, "__getitem__", counting)
    base_settings(monkeypatch, DJANGO_ENV="development")
    twice = sorted(name for name, count in reads.items() if count > 1)
    assert not twice, f"read more than once: {twice}"
    assert {"BROKER_URL", "REDIS_URL", "EVENTS_PREFETCH", "SECRET_KEY"} <= set(reads)


def test_events_variables_are_read_with_the_other_settings(monkeypatch):
    events = base_settings(
        monkeypatch, EVENTS_PREFETCH="7", EVENTS_RETRY_DELAYS_SECONDS="0.5,2", EVENTS_RELAY_LEASE_SECONDS="3"
    )["SERVICEKIT"]["EVENTS"]
    assert (events["prefetch"], events["retry_delays_seconds"], events["relay_lease_seconds"]) == (
        7,
        (0.5, 2.0),
        3.0,
    )
    assert (events["exchange"], events["queue"]) == ("platform.events", "catalog.events")


def test_events_conf_is_the_events_setting(settings):
    from servicekit.events.conf import events_conf

    settings.SERVICEKIT = {
        **settings.SERVICEKIT,
        "EVENTS": {**settings.SERVICEKIT["EVENTS"], "prefetch": 11, "retry_delays_seconds": (1, 2)},
    }
    conf = events_conf()
    assert (conf.prefetch, conf.retry_delays_seconds, conf.max_attempts) == (11, (1, 2), 3)
    assert conf.service == settings.SERVICE_NAME and conf.broker_url == settings.SERVICEKIT["BROKER_URL"]


REAL_SECRET_KEY = "k7Rq2-vXn9Lw_Tz4Hb8Jc1Md6Pf3Gs0Ya5Ue2Wi7Oo9Nr4Ex8Ql1"  # 50+ characters, random
REAL_TOKEN = "Vb3Xn8Qr1Lt6Zw2Hk9Jd4Mf7Pc0Gs5Ya"


@pytest.mark.parametrize(
    "name, value, why",
    [
        ("SECRET_KEY", "change-me", "placeholder"),
        ("SECRET_KEY", "change-me-" + REAL_SECRET_KEY, "placeholder"),
        ("SECRET_KEY", REAL_SECRET_KEY[:49], "at least 50 characters"),
        ("SECRET_KEY", "ab" * 40, "at least 50 characters"),  # long but hardly random
        ("SECRET_KEY", "dev-insecure-catalog", "development default"),
        ("INTERNAL_API_TOKEN", "change-me-long-random", "placeholder"),
        ("INTERNAL_API_TOKEN", REAL_TOKEN[:31], "at least 32 characters"),
        ("INTERNAL_API_TOKEN", " ", "development default"),  # blank is unset: the default
    ],
)
def test_production_refuses_a_placeholder_short_or_uniform_secret(monkeypatch, name, value, why):
    configured = {"SECRET_KEY": REAL_SECRET_KEY, "INTERNAL_API_TOKEN": REAL_TOKEN, name: value}
    with pytest.raises(ImproperlyConfiguredForProduction, match=name) as excinfo:
        base_settings(monkeypatch, DJANGO_ENV="production", ALLOWED_HOSTS="catalog", **configured)
    assert why in str(excinfo.value)


def test_a_services_own_secrets_are_held_to_the_same_rules():
    refuse_insecure_secrets({"PAYMENT_WEBHOOK_SECRET": REAL_TOKEN})  # a real one passes
    with pytest.raises(ImproperlyConfiguredForProduction, match="PAYMENT_WEBHOOK_SECRET.*placeholder"):
        refuse_insecure_secrets({"PAYMENT_WEBHOOK_SECRET": "change-me"})
    assert secret_problem("X", "") == "X must be set"


def test_production_sends_hsts_and_leaves_the_https_redirect_to_the_edge(monkeypatch):
    settings = base_settings(
        monkeypatch,
        DJANGO_ENV="production",
        SECRET_KEY=REAL_SECRET_KEY,
        INTERNAL_API_TOKEN=REAL_TOKEN,
        ALLOWED_HOSTS="catalog",
    )
    assert settings["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert "security.W008" in settings["SILENCED_SYSTEM_CHECKS"]
    assert base_settings(monkeypatch, DJANGO_ENV="development")["SECURE_HSTS_SECONDS"] == 0


def test_production_refuses_default_secret_and_debug(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfiguredForProduction) as excinfo:
        base_settings(monkeypatch, DJANGO_ENV="production", DEBUG="true")
    message = str(excinfo.value)
    assert "DEBUG" in message and "SECRET_KEY" in message and "ALLOWED_HOSTS" in message


def test_production_starts_when_configured(monkeypatch):
    settings = base_settings(
        monkeypatch,
        DJANGO_ENV="production",
        SECRET_KEY=REAL_SECRET_KEY,
        DEBUG="false",
        INTERNAL_API_TOKEN=REAL_TOKEN,
        ALLOWED_HOSTS="catalog,localhost",
    )
    assert settings["DEBUG"] is False and settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True


def test_production_refuses_the_development_internal_token(monkeypatch):
    with pytest.raises(ImproperlyConfiguredForProduction, match="INTERNAL_API_TOKEN"):
        base_settings(
            monkeypatch,
            DJANGO_ENV="production",
            SECRET_KEY=REAL_SECRET_KEY,
            INTERNAL_API_TOKEN="dev-insecure-internal",
            ALLOWED_HOSTS="catalog",
        )


def test_an_unknown_environment_is_a_mistake_anywhere_not_a_production_problem(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ENV") as excinfo:
        base_settings(monkeypatch, DJANGO_ENV="staging-ish")
    assert not isinstance(excinfo.value, ImproperlyConfiguredForProduction)


def test_cookies_are_not_secure_outside_production(monkeypatch):
    settings = base_settings(monkeypatch, DJANGO_ENV="development")
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["CSRF_COOKIE_SECURE"] is False


def test_append_slash_is_off(monkeypatch):
    # A missing trailing slash must be a 404, never a redirect that drops a POST's body.
    assert base_settings(monkeypatch)["APPEND_SLASH"] is False


def test_empty_values_count_as_unset(monkeypatch):
    # .env.example has `DB_PASSWORD=`: copied to .env it must mean "the default", not "".
    blank = {
        name: ""
        for name in ("DB_PASSWORD", "DB_SCHEMA", "POSTGRES_HOST", "REDIS_URL", "BROKER_URL", "LOG_FORMAT")
    }
    # A number: int("") would not even start.
    settings = base_settings(monkeypatch, **blank, DB_CONNECT_TIMEOUT=" ", CELERY_RESULT_BACKEND="")
    db = settings["DATABASES"]["default"]
    assert db["PASSWORD"] == "catalog"
    assert db["HOST"] == "127.0.0.1"
    assert db["OPTIONS"]["options"] == "-c search_path=catalog"
    assert db["OPTIONS"]["connect_timeout"] == 5
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert settings["SERVICEKIT"]["BROKER_URL"] == "amqp://guest:guest@127.0.0.1:5672/%2F"
    assert settings["CELERY_RESULT_BACKEND"] == "redis://127.0.0.1:6379/0"
    assert settings["LOGGING"]["handlers"]["stdout"]["formatter"] == "json"


def test_set_values_still_win(monkeypatch):
    db = base_settings(monkeypatch, DB_PASSWORD="s3cret")["DATABASES"]["default"]
    assert db["PASSWORD"] == "s3cret"


def test_production_still_refuses_an_empty_secret(monkeypatch):
    with pytest.raises(ImproperlyConfiguredForProduction) as excinfo:
        base_settings(
            monkeypatch,
            DJANGO_ENV="production",
            SECRET_KEY="",
            INTERNAL_API_TOKEN="",
            ALLOWED_HOSTS="",
            DEBUG="false",
        )
    message = str(excinfo.value)
    assert "SECRET_KEY" in message and "INTERNAL_API_TOKEN" in message and "ALLOWED_HOSTS" in message


def test_env_reports_an_empty_required_variable(monkeypatch):
    from servicekit.settings import Env

    monkeypatch.setenv("SERVICEKIT_TEST_REQUIRED", "")
    with pytest.raises(ImproperlyConfigured):
        Env().str("SERVICEKIT_TEST_REQUIRED")
    assert Env().str("SERVICEKIT_TEST_REQUIRED", default="d") == "d"


def test_empty_events_variables_count_as_unset(monkeypatch):
    events = base_settings(
        monkeypatch,
        EVENTS_PREFETCH="",  # int("") would stop every consumer
        EVENTS_QUEUE="",  # "" would be a server-named, throwaway queue
        EVENTS_RETRY_DELAYS_SECONDS=" ",
    )["SERVICEKIT"]["EVENTS"]
    assert events["prefetch"] == 300
    assert events["queue"] == "catalog.events"
    assert events["retry_delays_seconds"] == (1, 5, 30, 120, 600)


def test_empty_gunicorn_variables_count_as_unset(monkeypatch):
    import runpy

    from servicekit import gunicorn_config

    for name in ("GUNICORN_BIND", "PORT", "GUNICORN_WORKERS", "GUNICORN_TIMEOUT", "GUNICORN_LOG_LEVEL"):
        monkeypatch.setenv(name, "")
    config = runpy.run_path(gunicorn_config.__file__)
    assert config["bind"] == ["0.0.0.0:8000"]
    assert 1 <= config["workers"] <= 4
    assert config["timeout"] == 30 and config["loglevel"] == "info"


def _gunicorn_config(monkeypatch, **env: str) -> dict:
    import runpy

    from servicekit import gunicorn_config

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(gunicorn_config.__file__)


def _master(pid_of_old_master: int = 0):
    """What on_starting reads of gunicorn's Arbiter: ``master_pid`` is set in a master that
    USR2 started, which inherits the old master's sockets."""
    import types

    return types.SimpleNamespace(master_pid=pid_of_old_master)


def test_gunicorn_workers_and_worker_class_come_from_the_environment(monkeypatch):
    for name in ("GUNICORN_WORKER_CLASS", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    defaults = _gunicorn_config(monkeypatch)
    assert (defaults["worker_class"], defaults["threads"]) == ("sync", 1)  # measured: docs/benchmarks.md

    config = _gunicorn_config(
        monkeypatch, GUNICORN_WORKERS="3", GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="8"
    )
    assert (config["workers"], config["worker_class"], config["threads"]) == (3, "gthread", 8)


def test_a_socket_dir_adds_a_unix_socket_beside_the_tcp_bind(monkeypatch, tmp_path):
    config = _gunicorn_config(
        monkeypatch,
        GUNICORN_BIND="127.0.0.1:8002",
        SERVICE_NAME="catalog",
        SERVICE_SOCKET_DIR=str(tmp_path / "run"),
    )
    assert config["bind"] == ["127.0.0.1:8002", f"unix:{tmp_path / 'run' / 'catalog.sock'}"]
    assert not (tmp_path / "run").exists()  # loading the config touches nothing
    config["on_starting"](_master())
    assert (tmp_path / "run").is_dir()  # made for gunicorn, which would not


def test_a_stale_socket_is_left_for_gunicorn_to_replace(monkeypatch, tmp_path):
    import socket

    path = tmp_path / "catalog.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))  # closed without listening: nothing answers on it any more
    config = _gunicorn_config(monkeypatch, SERVICE_NAME="catalog", SERVICE_SOCKET_DIR=str(tmp_path))
    config["on_starting"](_master())
    assert config["bind"][-1] == f"unix:{path}"


def test_a_socket_another_server_listens_on_is_refused(monkeypatch, tmp_path):
    import socket

    path = tmp_path / "catalog.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen()
        config = _gunicorn_config(monkeypatch, SERVICE_NAME="catalog", SERVICE_SOCKET_DIR=str(tmp_path))
        with pytest.raises(SystemExit, match="already serving"):
            config["on_starting"](_master())
        # A master started by USR2 inherits that very socket: it is its own, not another's.
        config["on_starting"](_master(pid_of_old_master=4242))
    assert path.exists()  # the live server's socket was not touched


def test_without_a_socket_dir_on_starting_does_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv("SERVICE_SOCKET_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    config = _gunicorn_config(monkeypatch, SERVICE_NAME="catalog")
    config["on_starting"](_master())
    assert len(config["bind"]) == 1 and list(tmp_path.iterdir()) == []


def test_a_relative_socket_dir_is_refused(monkeypatch):
    with pytest.raises(SystemExit, match="absolute path"):
        _gunicorn_config(monkeypatch, SERVICE_NAME="catalog", SERVICE_SOCKET_DIR="var/run")


def test_a_socket_path_too_long_for_the_kernel_is_refused(monkeypatch, tmp_path):
    deep = tmp_path / ("d" * 120)
    with pytest.raises(SystemExit, match="longer than 107 bytes"):
        _gunicorn_config(monkeypatch, SERVICE_NAME="catalog", SERVICE_SOCKET_DIR=str(deep))


def test_the_test_database_name_can_be_moved_aside(monkeypatch):
    assert base_settings(monkeypatch)["DATABASES"]["default"]["TEST"]["NAME"] == "test_catalog"
    moved = base_settings(monkeypatch, DB_TEST_NAME="test_catalog_second_run")["DATABASES"]["default"]
    assert moved["TEST"]["NAME"] == "test_catalog_second_run"
