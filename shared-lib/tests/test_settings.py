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


def test_append_slash_is_off():
    # A missing trailing slash must be a 404, never a redirect that drops a POST's body.
    assert service_settings("catalog", base_dir=BASE)["APPEND_SLASH"] is False


def test_empty_values_count_as_unset(monkeypatch):
    # .env.example has `DB_PASSWORD=`: copied to .env it must mean "the default", not "".
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name in ("DB_PASSWORD", "DB_SCHEMA", "POSTGRES_HOST", "REDIS_URL", "BROKER_URL", "LOG_FORMAT"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", " ")  # a number: int("") would not even start
    monkeypatch.setenv("CELERY_RESULT_BACKEND", "")
    settings = service_settings("catalog", base_dir=BASE)
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
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    assert service_settings("catalog", base_dir=BASE)["DATABASES"]["default"]["PASSWORD"] == "s3cret"


def test_production_still_refuses_an_empty_secret(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "")
    monkeypatch.setenv("INTERNAL_API_TOKEN", "")
    monkeypatch.setenv("ALLOWED_HOSTS", "")
    monkeypatch.setenv("DEBUG", "false")
    with pytest.raises(ImproperlyConfiguredForProduction) as excinfo:
        service_settings("catalog", base_dir=BASE)
    message = str(excinfo.value)
    assert "SECRET_KEY" in message and "INTERNAL_API_TOKEN" in message and "ALLOWED_HOSTS" in message


def test_env_reports_an_empty_required_variable(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from servicekit.settings import Env

    monkeypatch.setenv("SERVICEKIT_TEST_REQUIRED", "")
    with pytest.raises(ImproperlyConfigured):
        Env().str("SERVICEKIT_TEST_REQUIRED")
    assert Env().str("SERVICEKIT_TEST_REQUIRED", default="d") == "d"


def test_empty_events_variables_count_as_unset(monkeypatch):
    from servicekit.events.conf import events_conf

    monkeypatch.setenv("EVENTS_PREFETCH", "")  # int("") would stop every consumer
    monkeypatch.setenv("EVENTS_QUEUE", "")  # "" would be a server-named, throwaway queue
    monkeypatch.setenv("EVENTS_RETRY_DELAYS_SECONDS", " ")
    conf = events_conf()
    assert conf.prefetch == 300
    assert conf.queue == "testsvc.events"
    assert conf.retry_delays_seconds == (1, 5, 30, 120, 600)


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


def test_the_test_database_name_can_be_moved_aside(monkeypatch, tmp_path):
    from servicekit.settings import service_settings

    assert service_settings("svc", base_dir=tmp_path)["DATABASES"]["default"]["TEST"]["NAME"] == "test_svc"
    monkeypatch.setenv("DB_TEST_NAME", "test_svc_second_run")
    moved = service_settings("svc", base_dir=tmp_path)["DATABASES"]["default"]["TEST"]["NAME"]
    assert moved == "test_svc_second_run"
