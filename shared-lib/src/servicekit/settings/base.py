"""The settings every service shares, read from the environment (each variable once, here).

A service's ``settings.py`` imports these and adds its own apps and settings::

    from servicekit.settings.base import *
    from servicekit.settings.base import INSTALLED_APPS, env

    INSTALLED_APPS = [*INSTALLED_APPS, "catalog", "catalog.products"]

Every variable is documented in ``.env.example``. ``DJANGO_ENV=production`` refuses to start
with a default secret, DEBUG on or no allowed hosts (:class:`ImproperlyConfiguredForProduction`).
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import (
    DEV_SECRET_PREFIX,
    ENVIRONMENTS,
    Env,
    database_settings,
    find_contracts_dir,
    logging_settings,
    refuse_insecure_production,
)

env = Env()

# The service is the Django project whose settings are loading (``catalog.settings``: catalog);
# its directory holds manage.py. SERVICE_NAME (set by entrypoint.sh and the image) may say so too.
_project = os.environ["DJANGO_SETTINGS_MODULE"].partition(".")[0]
SERVICE_NAME = env.str("SERVICE_NAME", default=_project)
BASE_DIR = Path(import_module(_project).__path__[0]).resolve().parent

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(f"DJANGO_ENV must be one of {ENVIRONMENTS}, got {DJANGO_ENV!r}")
_is_production = DJANGO_ENV == "production"
_is_test = DJANGO_ENV == "test"

# Shared by several settings below.
BROKER_URL = env.str("BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672/%2F")
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
IDENTITY_INTERNAL_URL = env.str("IDENTITY_INTERNAL_URL", default="http://127.0.0.1:8001")

# --- Django ------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=f"{DEV_SECRET_PREFIX}{SERVICE_NAME}")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if _is_production else ["*"])
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=["http://localhost:8080", "http://127.0.0.1:8080"]
)
# Behind the gateway: trust its X-Forwarded-Proto so admin links and cookies are right.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = True
# An API path without its trailing slash is a 404 envelope, never a redirect: a 301 would
# drop a POST's body (and with DEBUG on Django raises RuntimeError instead).
APPEND_SLASH = False

# A service adds its own package and apps: INSTALLED_APPS = [*INSTALLED_APPS, "catalog", ...].
INSTALLED_APPS = [
    "servicekit.admin.apps.ServiceAdminConfig",  # django.contrib.admin with the service's site
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
]
MIDDLEWARE = [
    "servicekit.observability.middleware.RequestIdMiddleware",
    "servicekit.observability.middleware.AccessLogMiddleware",
    "servicekit.params.QueryStringMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = f"{SERVICE_NAME}.urls"
WSGI_APPLICATION = f"{SERVICE_NAME}.wsgi.application"
TEMPLATES = [
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
]

DATABASES = {"default": database_settings(SERVICE_NAME, env)}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default=SERVICE_NAME),
        "TIMEOUT": env.int("CACHE_TIMEOUT", default=300),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff sign in to every service's admin with their identity credentials.
AUTHENTICATION_BACKENDS = ["servicekit.adminauth.backends.IdentityStaffBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing keeps tests quick
    if _is_test
    else [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Each service serves its own admin assets under a distinct prefix behind the gateway.
STATIC_URL = f"/static/{SERVICE_NAME}/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if _is_test or DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
if not _is_production:
    # Outside production WhiteNoise serves straight from the apps' static folders.
    WHITENOISE_USE_FINDERS = True
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = f"/media/{SERVICE_NAME}/"

LOGIN_URL = f"/admin/{SERVICE_NAME}/login/"
SESSION_COOKIE_NAME = f"{SERVICE_NAME}_sessionid"
CSRF_COOKIE_NAME = f"{SERVICE_NAME}_csrftoken"
SESSION_COOKIE_PATH = "/"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_is_production)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_is_production)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HSTS on every answer to a request that came over https (the gateway's X-Forwarded-Proto).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _is_production else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_is_production)
# Asking browsers to preload the domain is the operator's commitment to make (docs/security.md).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# `manage.py check --deploy` is clean in production (tests/test_production_readiness.py) but for
# these, each a decision of the deployment rather than an oversight:
SILENCED_SYSTEM_CHECKS = [
    # W008, SECURE_SSL_REDIRECT: http → https is the edge's job (the TLS-terminating load
    # balancer or ingress in front of the gateway). Behind it the services also answer plain
    # HTTP from inside the network: probes, /metrics, JWKS, /internal/ calls and the builds
    # console's token refresh, which a redirect would break.
    "security.W008",
    # W021, SECURE_HSTS_PRELOAD: preloading is a per-domain submission (SECURE_HSTS_PRELOAD=true).
    "security.W021",
]

LOGGING = logging_settings(SERVICE_NAME, env)

# --- DRF and the OpenAPI document ---------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "servicekit.auth.authentication.JWTAuthentication",
        "servicekit.auth.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["servicekit.envelope.renderers.EnvelopeJSONRenderer"],
    # JSON only: a form is 415 unsupported_media_type. An operation taking files opts in to
    # multipart with parser_classes = servicekit.envelope.parsers.UPLOAD_PARSERS.
    "DEFAULT_PARSER_CLASSES": ["servicekit.envelope.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "servicekit.envelope.pagination.EnvelopePagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "servicekit.envelope.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "servicekit.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SERVICE_NAME} API",
    "DESCRIPTION": f"The {SERVICE_NAME} bounded context of the platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The document is public: a bearer token is read (request logs name the caller), an API key
    # is not, so fetching the document needs no API-key scope (servicekit.auth.scopes).
    "SERVE_AUTHENTICATION": ["servicekit.auth.authentication.JWTAuthentication"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: a nullable object is `oneOf: [$ref, null]`; 3.0's `nullable` beside an `allOf`
    # does not admit null to a strict validator (servicekit.testing.openapi is one).
    "OAS_VERSION": "3.1.0",
}

# --- servicekit ---------------------------------------------------------------------------

_internal_api_token = env.str("INTERNAL_API_TOKEN", default=f"{DEV_SECRET_PREFIX}internal")
SERVICEKIT = {
    "JWT": {
        "ISSUER": env.str("JWT_ISSUER", default="platform-identity"),
        "AUDIENCE": env.str("JWT_AUDIENCE", default="platform"),
        "ALGORITHMS": env.list("JWT_ALGORITHMS", default=["RS256"]),
        "JWKS_URL": env.str("JWT_JWKS_URL", default=f"{IDENTITY_INTERNAL_URL}/.well-known/jwks.json"),
        "JWKS_CACHE_SECONDS": env.int("JWT_JWKS_CACHE_SECONDS", default=300),
        "JWKS_MIN_REFETCH_SECONDS": env.int("JWT_JWKS_MIN_REFETCH_SECONDS", default=30),
        "JWKS_TIMEOUT_SECONDS": env.float("JWT_JWKS_TIMEOUT_SECONDS", default=2.0),
        "LEEWAY_SECONDS": env.int("JWT_LEEWAY_SECONDS", default=30),
        "VERIFIED_CACHE_SIZE": env.int("JWT_VERIFIED_CACHE_SIZE", default=4096),
        # How often each process pulls the service's list of revoked users (no call per request).
        "REVOCATION_SYNC_SECONDS": env.float("JWT_REVOCATION_SYNC_SECONDS", default=5.0),
        "API_KEY_INTROSPECTION_URL": env.str(
            "API_KEY_INTROSPECTION_URL", default=f"{IDENTITY_INTERNAL_URL}/internal/api-keys/introspect/"
        ),
        "API_KEY_CACHE_SECONDS": env.int("API_KEY_CACHE_SECONDS", default=60),
    },
    "INTERNAL_API_TOKEN": _internal_api_token,
    # Reverse proxies (the gateway) in front of the service: the client address is the
    # X-Forwarded-For entry they appended, never what the client itself sent.
    "TRUSTED_PROXY_HOPS": env.int("TRUSTED_PROXY_HOPS", default=1),
    "IDENTITY_INTERNAL_URL": IDENTITY_INTERNAL_URL,
    "ADMIN_AUTH_TIMEOUT_SECONDS": env.float("ADMIN_AUTH_TIMEOUT_SECONDS", default=5.0),
    "BROKER_URL": BROKER_URL,
    "HEALTH_TIMEOUT_SECONDS": env.float("HEALTH_TIMEOUT_SECONDS", default=2.0),
    "MAX_PAGE_SIZE": env.int("MAX_PAGE_SIZE", default=100),
    "CONTRACTS_DIR": env.str("CONTRACTS_DIR", default=str(find_contracts_dir(BASE_DIR) or "")),
    # Skip the interpreter's final garbage collections (servicekit.shutdown): `make run` only.
    "QUICK_EXIT": env.bool("QUICK_EXIT", default=False),
    # The event pipeline: servicekit.events.conf.EventsConf's fields (all in docs/events.md).
    # Each request's summary, batched to a Redis stream analytics ingests (observability.requestlog).
    "REQUEST_LOG": {
        "enabled": env.bool("REQUEST_LOG_ENABLED", default=not _is_test),
        "redis_url": env.str("REQUEST_LOG_REDIS_URL", default=REDIS_URL),
        "stream": env.str("REQUEST_LOG_STREAM", default="platform:request-logs"),
        "flush_seconds": env.float("REQUEST_LOG_FLUSH_SECONDS", default=1.0),
        "batch_size": env.int("REQUEST_LOG_BATCH_SIZE", default=500),
        "buffer_size": env.int("REQUEST_LOG_BUFFER_SIZE", default=20000),
        "stream_maxlen": env.int("REQUEST_LOG_STREAM_MAXLEN", default=20000),
    },
    "EVENTS": {
        "exchange": env.str("EVENTS_EXCHANGE", default="platform.events"),
        "queue": env.str("EVENTS_QUEUE", default=f"{SERVICE_NAME}.events"),
        "handlers_module": env.str("EVENTS_HANDLERS_MODULE", default=f"{SERVICE_NAME}.handlers"),
        "heartbeat_seconds": env.int("EVENTS_HEARTBEAT_SECONDS", default=20),
        "connection_attempt_timeout_seconds": env.float(
            "EVENTS_CONNECTION_ATTEMPT_TIMEOUT_SECONDS", default=5.0
        ),
        # consumer
        "prefetch": env.int("EVENTS_PREFETCH", default=300),
        "retry_delays_seconds": tuple(
            env.list("EVENTS_RETRY_DELAYS_SECONDS", cast=float, default=[1.0, 5.0, 30.0, 120.0, 600.0])
        ),
        "delivery_limit": env.int("EVENTS_DELIVERY_LIMIT", default=10),
        "inbox_retention_days": env.int("EVENTS_INBOX_RETENTION_DAYS", default=30),
        # relay
        "relay_batch_size": env.int("EVENTS_RELAY_BATCH_SIZE", default=500),
        "relay_lease_seconds": env.float("EVENTS_RELAY_LEASE_SECONDS", default=30.0),
        "relay_publish_timeout_seconds": env.float("EVENTS_RELAY_PUBLISH_TIMEOUT_SECONDS", default=10.0),
        "relay_poll_seconds": env.float("EVENTS_RELAY_POLL_SECONDS", default=5.0),
        "relay_retry_base_seconds": env.float("EVENTS_RELAY_RETRY_BASE_SECONDS", default=1.0),
        "relay_retry_max_seconds": env.float("EVENTS_RELAY_RETRY_MAX_SECONDS", default=60.0),
        "outbox_retention_hours": env.float("EVENTS_OUTBOX_RETENTION_HOURS", default=72.0),
        "unrouted_ttl_hours": env.float("EVENTS_UNROUTED_TTL_HOURS", default=168.0),
    },
}

# --- Celery (work inside one service; read by servicekit.celery.make_app) ---------------------
# Reliability first: a task is acknowledged after it ran and re-queued if its worker dies;
# publishing waits for the broker's confirm (with a timeout); each service has its own quorum
# queue (global QoS is off for those, ETA/countdown uses RabbitMQ-native delayed delivery,
# which needs topic exchanges). Tasks must be idempotent.

_task_queue = f"{SERVICE_NAME}.tasks"
CELERY_BROKER_URL = BROKER_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES_SECONDS", default=86400)
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_PREFETCH_MULTIPLIER", default=1)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT_SECONDS", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT_SECONDS", default=540)
CELERY_BROKER_HEARTBEAT = env.int("CELERY_BROKER_HEARTBEAT_SECONDS", default=30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
SERVICEKIT_CELERY_CONFIRM_TIMEOUT = env.float("CELERY_PUBLISH_CONFIRM_TIMEOUT_SECONDS", default=5.0)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3,
    "interval_start": 0.2,
    "interval_step": 0.5,
    "interval_max": 2.0,
}
CELERY_TASK_DEFAULT_QUEUE = _task_queue
CELERY_TASK_DEFAULT_EXCHANGE = _task_queue
CELERY_TASK_DEFAULT_EXCHANGE_TYPE = "topic"
CELERY_TASK_DEFAULT_ROUTING_KEY = _task_queue
CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum"
CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = "quorum"
CELERY_WORKER_DETECT_QUORUM_QUEUES = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=f"/tmp/celerybeat-{SERVICE_NAME}-schedule"
)
# Tests run tasks in-process (delay_on_commit still waits for the commit).
CELERY_TASK_ALWAYS_EAGER = _is_test
CELERY_TASK_EAGER_PROPAGATES = _is_test

if _is_production:
    refuse_insecure_production(
        debug=DEBUG,
        secret_key=SECRET_KEY,
        internal_api_token=_internal_api_token,
        allowed_hosts=ALLOWED_HOSTS,
    )
