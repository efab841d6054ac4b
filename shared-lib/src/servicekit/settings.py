"""Build a service's Django settings from the environment.

Every service's ``settings.py`` is a few lines::

    globals().update(service_settings("catalog", base_dir=BASE_DIR, apps=["catalog.products"]))

Everything that differs between environments comes from environment variables
(documented in ``.env.example``). ``DJANGO_ENV=production`` refuses to start with a
default secret, DEBUG on, or missing keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import environ

ENVIRONMENTS = ("development", "test", "production")
DEV_SECRET_PREFIX = "dev-insecure-"


class ImproperlyConfiguredForProduction(RuntimeError):
    """Raised at import time when production settings would run insecurely."""


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


def _env() -> Env:
    return Env()


def database_settings(service: str, env: environ.Env) -> dict[str, Any]:
    """One Postgres database for the platform, one schema and one role per service."""
    schema = env.str("DB_SCHEMA", default=service)
    default_url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=service,
        password=env.str("DB_PASSWORD", default=service),
        host=env.str("POSTGRES_HOST", default="127.0.0.1"),
        port=env.int("POSTGRES_PORT", default=5432),
        name=env.str("POSTGRES_DB", default="platform"),
    )
    db = env.db_url("DATABASE_URL", default=default_url)
    db["ENGINE"] = "django.db.backends.postgresql"
    options = db.setdefault("OPTIONS", {})
    # The schema is the service's namespace: tables land there and nothing else is visible.
    options["options"] = f"-c search_path={schema}"
    options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    db["CONN_HEALTH_CHECKS"] = True
    # Tests create this database; a second run of the same suite beside the first needs its own.
    db["TEST"] = {"NAME": env.str("DB_TEST_NAME", default=f"test_{service}")}
    db["SCHEMA"] = schema
    return {"default": db}


def logging_settings(service: str, env: environ.Env) -> dict[str, Any]:
    fmt = env.str("LOG_FORMAT", default="json")
    level = env.str("LOG_LEVEL", default="INFO")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "servicekit.observability.logging.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "servicekit.observability.logging.JsonFormatter", "service": service},
            "console": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id"],
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


def cache_settings(service: str, env: environ.Env) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0"),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default=service),
            "TIMEOUT": env.int("CACHE_TIMEOUT", default=300),
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
            },
        }
    }


def jwt_settings(env: environ.Env) -> dict[str, Any]:
    identity_url = env.str("IDENTITY_INTERNAL_URL", default="http://127.0.0.1:8001")
    return {
        "ISSUER": env.str("JWT_ISSUER", default="platform-identity"),
        "AUDIENCE": env.str("JWT_AUDIENCE", default="platform"),
        "ALGORITHMS": env.list("JWT_ALGORITHMS", default=["RS256"]),
        "JWKS_URL": env.str("JWT_JWKS_URL", default=f"{identity_url}/.well-known/jwks.json"),
        "JWKS_CACHE_SECONDS": env.int("JWT_JWKS_CACHE_SECONDS", default=300),
        "JWKS_MIN_REFETCH_SECONDS": env.int("JWT_JWKS_MIN_REFETCH_SECONDS", default=30),
        "JWKS_TIMEOUT_SECONDS": env.float("JWT_JWKS_TIMEOUT_SECONDS", default=2.0),
        "LEEWAY_SECONDS": env.int("JWT_LEEWAY_SECONDS", default=30),
        "VERIFIED_CACHE_SIZE": env.int("JWT_VERIFIED_CACHE_SIZE", default=4096),
        # How often each process pulls the service's list of revoked users (no call per request).
        "REVOCATION_SYNC_SECONDS": env.float("JWT_REVOCATION_SYNC_SECONDS", default=5.0),
        "API_KEY_INTROSPECTION_URL": env.str(
            "API_KEY_INTROSPECTION_URL", default=f"{identity_url}/internal/api-keys/introspect/"
        ),
        "API_KEY_CACHE_SECONDS": env.int("API_KEY_CACHE_SECONDS", default=60),
    }


def celery_settings(service: str, env: environ.Env, *, is_test: bool) -> dict[str, Any]:
    """Celery for work inside one service (read by ``servicekit.celery.make_app``).

    Reliability first: a task is acknowledged after it ran and re-queued if its worker dies;
    publishing waits for the broker's confirm (with a timeout); each service has its own
    quorum queue (global QoS is off for those, ETA/countdown uses RabbitMQ-native delayed
    delivery, which needs topic exchanges). Tasks must be idempotent.
    """
    queue = f"{service}.tasks"
    return {
        "CELERY_BROKER_URL": env.str("BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672/%2F"),
        "CELERY_RESULT_BACKEND": env.str(
            "CELERY_RESULT_BACKEND", default=env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
        ),
        "CELERY_RESULT_EXPIRES": env.int("CELERY_RESULT_EXPIRES_SECONDS", default=86400),
        "CELERY_RESULT_EXTENDED": True,
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_RESULT_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": env.int("CELERY_PREFETCH_MULTIPLIER", default=1),
        "CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS": True,
        "CELERY_TASK_TIME_LIMIT": env.int("CELERY_TASK_TIME_LIMIT_SECONDS", default=600),
        "CELERY_TASK_SOFT_TIME_LIMIT": env.int("CELERY_TASK_SOFT_TIME_LIMIT_SECONDS", default=540),
        "CELERY_BROKER_HEARTBEAT": env.int("CELERY_BROKER_HEARTBEAT_SECONDS", default=30),
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "CELERY_BROKER_CONNECTION_MAX_RETRIES": None,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {"confirm_publish": True},
        "SERVICEKIT_CELERY_CONFIRM_TIMEOUT": env.float("CELERY_PUBLISH_CONFIRM_TIMEOUT_SECONDS", default=5.0),
        "CELERY_TASK_PUBLISH_RETRY": True,
        "CELERY_TASK_PUBLISH_RETRY_POLICY": {
            "max_retries": 3,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 2.0,
        },
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_DEFAULT_EXCHANGE": queue,
        "CELERY_TASK_DEFAULT_EXCHANGE_TYPE": "topic",
        "CELERY_TASK_DEFAULT_ROUTING_KEY": queue,
        "CELERY_TASK_DEFAULT_QUEUE_TYPE": "quorum",
        "CELERY_TASK_CREATE_MISSING_QUEUE_TYPE": "quorum",
        "CELERY_WORKER_DETECT_QUORUM_QUEUES": True,
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
        "CELERY_WORKER_SEND_TASK_EVENTS": False,
        "CELERY_BEAT_SCHEDULE_FILENAME": env.str(
            "CELERY_BEAT_SCHEDULE_FILENAME", default=f"/tmp/celerybeat-{service}-schedule"
        ),
        # Tests run tasks in-process, still only after the surrounding transaction commits.
        "CELERY_TASK_ALWAYS_EAGER": is_test,
        "CELERY_TASK_EAGER_PROPAGATES": is_test,
    }


def _check_production(settings: dict[str, Any], env: Env) -> None:
    problems = []
    if settings["DEBUG"]:
        problems.append("DEBUG must be off")
    if not env.str("SECRET_KEY", default="") or settings["SECRET_KEY"].startswith(DEV_SECRET_PREFIX):
        problems.append("SECRET_KEY must be set to a real secret")
    if not env.str("INTERNAL_API_TOKEN", default=""):
        problems.append("INTERNAL_API_TOKEN must be set")
    if not env.list("ALLOWED_HOSTS", default=[]):
        problems.append("ALLOWED_HOSTS must be set")
    if problems:
        raise ImproperlyConfiguredForProduction("refusing to start in production: " + "; ".join(problems))


def service_settings(
    service: str,
    *,
    base_dir: Path,
    apps: list[str] | None = None,
    extra_middleware: list[str] | None = None,
) -> dict[str, Any]:
    """Return the full settings dict for ``service``; see the module docstring."""
    env = _env()
    environment = env.str("DJANGO_ENV", default="development")
    if environment not in ENVIRONMENTS:
        raise ImproperlyConfiguredForProduction(
            f"DJANGO_ENV must be one of {ENVIRONMENTS}, got {environment!r}"
        )
    is_production = environment == "production"
    is_test = environment == "test"
    debug = env.bool("DEBUG", default=False)

    settings: dict[str, Any] = {
        "SERVICE_NAME": service,
        "DJANGO_ENV": environment,
        "BASE_DIR": base_dir,
        "DEBUG": debug,
        "SECRET_KEY": env.str("SECRET_KEY", default=f"{DEV_SECRET_PREFIX}{service}"),
        "ALLOWED_HOSTS": env.list("ALLOWED_HOSTS", default=["*"] if not is_production else []),
        "CSRF_TRUSTED_ORIGINS": env.list(
            "CSRF_TRUSTED_ORIGINS", default=["http://localhost:8080", "http://127.0.0.1:8080"]
        ),
        # Behind the gateway: trust its X-Forwarded-Proto so admin links and cookies are right.
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "USE_X_FORWARDED_HOST": True,
        # An API path without its trailing slash is a 404 envelope, never a redirect: a 301
        # would drop a POST's body (and with DEBUG on Django raises RuntimeError instead).
        "APPEND_SLASH": False,
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "whitenoise.runserver_nostatic",
            "django.contrib.staticfiles",
            "rest_framework",
            "drf_spectacular",
            "servicekit",
            "servicekit.events",
            service,
            *(apps or []),
        ],
        "MIDDLEWARE": [
            "servicekit.observability.middleware.RequestIdMiddleware",
            "servicekit.observability.middleware.AccessLogMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            *(extra_middleware or []),
        ],
        "ROOT_URLCONF": f"{service}.urls",
        "WSGI_APPLICATION": f"{service}.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "DATABASES": database_settings(service, env),
        "CACHES": cache_settings(service, env),
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        # Staff sign in to every service's admin with their identity credentials.
        "AUTHENTICATION_BACKENDS": ["servicekit.adminauth.backends.IdentityStaffBackend"],
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "PASSWORD_HASHERS": (
            ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing keeps tests quick
            if is_test
            else [
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            ]
        ),
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        # Each service serves its own admin assets under a distinct prefix behind the gateway.
        "STATIC_URL": f"/static/{service}/",
        "STATIC_ROOT": env.str("STATIC_ROOT", default=str(base_dir / "staticfiles")),
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                if is_test or debug
                else "whitenoise.storage.CompressedStaticFilesStorage"
            },
        },
        "MEDIA_ROOT": env.str("MEDIA_ROOT", default=str(base_dir / "var" / "media")),
        "MEDIA_URL": f"/media/{service}/",
        "LOGIN_URL": f"/admin/{service}/login/",
        "SESSION_COOKIE_NAME": f"{service}_sessionid",
        "CSRF_COOKIE_NAME": f"{service}_csrftoken",
        "SESSION_COOKIE_PATH": "/",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "servicekit.auth.authentication.JWTAuthentication",
                "servicekit.auth.authentication.ApiKeyAuthentication",
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_RENDERER_CLASSES": ["servicekit.envelope.renderers.EnvelopeJSONRenderer"],
            "DEFAULT_PARSER_CLASSES": [
                "servicekit.envelope.parsers.JSONParser",
                "rest_framework.parsers.MultiPartParser",
                "rest_framework.parsers.FormParser",
            ],
            "DEFAULT_PAGINATION_CLASS": "servicekit.envelope.pagination.EnvelopePagination",
            "PAGE_SIZE": 20,
            "EXCEPTION_HANDLER": "servicekit.envelope.exceptions.envelope_exception_handler",
            "DEFAULT_SCHEMA_CLASS": "servicekit.openapi.AutoSchema",
            "UNAUTHENTICATED_USER": None,
            "TEST_REQUEST_DEFAULT_FORMAT": "json",
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"{service} API",
            "DESCRIPTION": f"The {service} bounded context of the platform.",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SCHEMA_PATH_PREFIX": r"/api/v1",
            "COMPONENT_SPLIT_REQUEST": True,
            # 3.1: a nullable object is `oneOf: [$ref, null]`; 3.0's `nullable` beside an `allOf`
            # does not admit null to a strict validator (servicekit.testing.openapi is one).
            "OAS_VERSION": "3.1.0",
        },
        "SERVICEKIT": {
            "JWT": jwt_settings(env),
            "INTERNAL_API_TOKEN": env.str("INTERNAL_API_TOKEN", default=f"{DEV_SECRET_PREFIX}internal"),
            # Reverse proxies (the gateway) in front of the service: the client address is the
            # X-Forwarded-For entry they appended, never what the client itself sent.
            "TRUSTED_PROXY_HOPS": env.int("TRUSTED_PROXY_HOPS", default=1),
            "IDENTITY_INTERNAL_URL": env.str("IDENTITY_INTERNAL_URL", default="http://127.0.0.1:8001"),
            "ADMIN_AUTH_TIMEOUT_SECONDS": env.float("ADMIN_AUTH_TIMEOUT_SECONDS", default=5.0),
            "BROKER_URL": env.str("BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672/%2F"),
            "HEALTH_TIMEOUT_SECONDS": env.float("HEALTH_TIMEOUT_SECONDS", default=2.0),
            "MAX_PAGE_SIZE": env.int("MAX_PAGE_SIZE", default=100),
            "CONTRACTS_DIR": env.str("CONTRACTS_DIR", default=str(_find_contracts_dir(base_dir) or "")),
        },
        "LOGGING": logging_settings(service, env),
        **celery_settings(service, env, is_test=is_test),
    }
    if not is_production:
        # Outside production WhiteNoise serves straight from the apps' static folders.
        settings["WHITENOISE_USE_FINDERS"] = True
        Path(settings["STATIC_ROOT"]).mkdir(parents=True, exist_ok=True)
    if is_production:
        settings["SESSION_COOKIE_SECURE"] = env.bool("SESSION_COOKIE_SECURE", default=True)
        settings["CSRF_COOKIE_SECURE"] = env.bool("CSRF_COOKIE_SECURE", default=True)
        _check_production(settings, env)
    return settings


def _find_contracts_dir(base_dir: Path) -> Path | None:
    """contracts/events lives at the repository root (or /app/contracts in an image)."""
    for parent in [base_dir, *base_dir.parents]:
        candidate = parent / "contracts" / "events"
        if candidate.is_dir():
            return candidate
    return None
