"""Settings for the platform's services, from the environment.

Every service's ``settings.py`` starts from :mod:`servicekit.settings.base` (the settings all
services share, each environment variable read once there) and adds its own::

    from servicekit.settings.base import *
    from servicekit.settings.base import INSTALLED_APPS, env

    INSTALLED_APPS = [*INSTALLED_APPS, "catalog", "catalog.products"]
    CATALOG = {"CACHE_SECONDS": env.int("CATALOG_CACHE_SECONDS", default=300)}

This package holds what the base is built with: :class:`Env` (read a service's own variables
through it too) and the helpers behind the larger settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

ENVIRONMENTS = ("development", "test", "production")
DEV_SECRET_PREFIX = "dev-insecure-"


class ImproperlyConfiguredForProduction(ImproperlyConfigured):
    """Raised at import time when production settings would run insecurely (a default
    secret, DEBUG on, a missing key). Mistakes that are wrong everywhere (a value out of
    range) raise plain :class:`~django.core.exceptions.ImproperlyConfigured`."""


class NonBlankEnviron(MutableMapping[str, str]):
    """A live view of ``os.environ`` in which a variable set to an empty (or blank) value is
    absent. ``.env.example`` carries lines like ``DB_PASSWORD=``: copied to ``.env`` they mean
    "not set", and must give the default rather than an empty password."""

    def __init__(self, environ_: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ_ is None else environ_

    def __getitem__(self, name: str) -> str:
        value = self._environ[name]
        if not value.strip():
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self._environ[name] = value

    def __delitem__(self, name: str) -> None:
        del self._environ[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name, value in self._environ.items() if value.strip())

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Env(environ.Env):
    """``environ.Env`` where an empty value counts as unset, so ``default=`` applies (and a
    variable without a default is reported missing). Nothing servicekit reads gives an empty
    string a meaning of its own; services should read their own variables through this too."""

    def __init__(self, **scheme: Any) -> None:
        super().__init__(**scheme)
        self.ENVIRON = NonBlankEnviron()


def database_settings(service: str, env: environ.Env) -> dict[str, Any]:
    """The ``default`` database: one Postgres database for the platform, one schema and one
    role per service. ``SCHEMA`` is the service's namespace: tables land there and nothing
    else is visible (``search_path``, see :func:`with_server_settings`)."""
    default_url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=service,
        password=env.str("DB_PASSWORD", default=service),
        host=env.str("POSTGRES_HOST", default="127.0.0.1"),
        port=env.int("POSTGRES_PORT", default=5432),
        name=env.str("POSTGRES_DB", default="platform"),
    )
    db = env.db_url("DATABASE_URL", default=default_url)
    db["ENGINE"] = "django.db.backends.postgresql"
    db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    db["CONN_HEALTH_CHECKS"] = True
    # Tests create this database; a second run of the same suite beside the first needs its own.
    db["TEST"] = {"NAME": env.str("DB_TEST_NAME", default=f"test_{service}")}
    db["SCHEMA"] = env.str("DB_SCHEMA", default=service)
    return with_server_settings(db, {})


def with_server_settings(
    database: Mapping[str, Any], server_settings: Mapping[str, object]
) -> dict[str, Any]:
    """``database`` whose every connection starts with these Postgres settings besides its
    schema's ``search_path``: libpq startup options, so they cost no query of their own.
    A service adds its own with ``DATABASES = {"default": with_server_settings(DATABASES["default"],
    {...})}`` (catalog's search threshold)."""
    settings = {"search_path": database["SCHEMA"], **server_settings}
    options = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return {**database, "OPTIONS": {**database.get("OPTIONS", {}), "options": options}}


def logging_settings(service: str, env: environ.Env) -> dict[str, Any]:
    fmt = env.str("LOG_FORMAT", default="json")
    level = env.str("LOG_LEVEL", default="INFO")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "servicekit.observability.logging.RequestIdFilter"},
            # Every line, whoever logs it: no token, password, API key or reset link (docs/security.md).
            "redact_secrets": {"()": "servicekit.observability.logging.RedactSecretsFilter"},
        },
        "formatters": {
            "json": {"()": "servicekit.observability.logging.JsonFormatter", "service": service},
            "console": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id", "redact_secrets"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            # Our access log replaces Django's request logger for 4xx noise.
            "django.request": {"level": "ERROR"},
            "pika": {"level": "WARNING"},
        },
    }


# What the shipped examples put where a secret goes (deploy/compose/secrets.example, .env.example):
# copied and never replaced, they would sign tokens with a value anyone can read.
PLACEHOLDER_SECRET_PREFIXES = ("change-me", "changeme", "replace-me", "your-", "example")
MIN_SECRET_LENGTH = 32
# Django's own bar for SECRET_KEY (``check --deploy``, security.W009).
MIN_SECRET_KEY_LENGTH = 50


def secret_problem(name: str, value: str, *, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """Why ``value`` cannot be the production secret ``name`` (``None`` when it can): missing,
    the development default, a placeholder from the examples, too short or too uniform."""
    if not value.strip():
        return f"{name} must be set"
    if value.startswith(DEV_SECRET_PREFIX):
        return f"{name} must be set to a real secret, not the development default"
    if value.strip().lower().startswith(PLACEHOLDER_SECRET_PREFIXES):
        return f"{name} must be set to a real secret, not the example's placeholder"
    if len(value) < min_length or len(set(value)) < 5:
        return f"{name} must be a random value of at least {min_length} characters"
    return None


def refuse_insecure_secrets(secrets: Mapping[str, str], *, min_length: int = MIN_SECRET_LENGTH) -> None:
    """For a service's own production secrets: raise unless every one is a real secret."""
    problems = [
        problem
        for name, value in secrets.items()
        if (problem := secret_problem(name, value, min_length=min_length))
    ]
    if problems:
        raise ImproperlyConfiguredForProduction("refusing to start in production: " + "; ".join(problems))


def refuse_insecure_production(
    *, debug: bool, secret_key: str, internal_api_token: str, allowed_hosts: list[str]
) -> None:
    problems = []
    if debug:
        problems.append("DEBUG must be off")
    problems += [
        problem
        for problem in (
            secret_problem("SECRET_KEY", secret_key, min_length=MIN_SECRET_KEY_LENGTH),
            secret_problem("INTERNAL_API_TOKEN", internal_api_token),
        )
        if problem
    ]
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS must be set")
    if problems:
        raise ImproperlyConfiguredForProduction("refusing to start in production: " + "; ".join(problems))


def find_contracts_dir(base_dir: Path) -> Path | None:
    """contracts/events lives at the repository root (or /app/contracts in an image)."""
    for parent in [base_dir, *base_dir.parents]:
        candidate = parent / "contracts" / "events"
        if candidate.is_dir():
            return candidate
    return None
