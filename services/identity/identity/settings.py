"""identity's settings: servicekit's base (what every service shares) plus identity's own."""

from celery.schedules import crontab

from identity.conf import identity_settings
from servicekit.settings.base import *
from servicekit.settings.base import (
    BASE_DIR,
    DJANGO_ENV,
    INSTALLED_APPS,
    REST_FRAMEWORK,
    SPECTACULAR_SETTINGS,
    env,
)

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "identity",
    "django.contrib.postgres",
    "identity.accounts",
    "identity.tokens",
    "identity.logins",
    "identity.apikeys",
    "identity.access",
]

AUTH_USER_MODEL = "accounts.User"

# identity checks tokens and API keys in-process, against its own keys and database:
# servicekit's classes would call identity's own JWKS and introspection endpoints over HTTP,
# and with a few sync workers concurrent requests could then wait on each other for ever.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "identity.authentication.IdentityJWTAuthentication",
        "identity.authentication.IdentityApiKeyAuthentication",
    ],
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "SERVE_AUTHENTICATION": ["identity.authentication.IdentityJWTAuthentication"],
}

# identity's admin signs in against its own users, through the same brute-force rules and
# login history as the API (every other service asks identity: servicekit.adminauth).
AUTHENTICATION_BACKENDS = ["identity.logins.backends.IdentityAdminBackend"]

# identity's own knobs: signing keys, token lifetimes, lockout, one-time links, API keys.
IDENTITY = identity_settings(env, base_dir=BASE_DIR, environment=DJANGO_ENV)

# Celery beat (the identity-beat process): once a day, delete refresh tokens and one-time
# links long expired (identity.tasks; `manage.py purge_expired_tokens` does the same by hand).
# A time of day rather than an interval: beat's schedule file lives in /tmp and is lost on
# every restart, and a 24-hour interval restarted daily would never come due.
CELERY_BEAT_SCHEDULE = {
    "identity.purge-expired-tokens": {
        "task": "identity.purge_expired_tokens",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600.0},  # a missed run is not queued up; tomorrow's will do
    },
}
