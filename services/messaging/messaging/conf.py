"""messaging's own settings, read from the environment (every variable is in ``.env.example``).

``messaging_settings()`` returns Django settings to merge into the module: the ``MESSAGING``
dict of the service's knobs, e-mail delivery, languages and the beat schedule. Kept out of
``settings.py`` so the production checks can be tested without re-importing settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import DEV_SECRET_PREFIX, ImproperlyConfiguredForProduction, secret_problem

DEV_WEBHOOK_SECRET = f"{DEV_SECRET_PREFIX}messaging-webhook-secret"
PROVIDERS = ("loopback", "waha")
# What WhatsApp takes, less what we would not want to forward (executables, archives).
DEFAULT_MEDIA_TYPES = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "video/mp4",
    "audio/ogg",
    "audio/mpeg",
    "application/pdf",
]
LANGUAGES = [("en", "English"), ("es", "Español")]
EML_BACKEND = "messaging.notifications.mailfiles.EmlFileBackend"


def default_mail_dir(base_dir: Path) -> Path:
    """``var/mail/`` at the repository root in a checkout (beside the other development files),
    else ``var/mail/`` beside the service (``/app/var/mail`` in an image: mount it, or set
    ``EMAIL_URL``, since the image's filesystem is read-only)."""
    root = base_dir.parent.parent
    return root / "var" / "mail" if (root / "services").is_dir() else base_dir / "var" / "mail"


def messaging_settings(env: environ.Env, *, base_dir: Path, environment: str) -> dict[str, Any]:
    is_production = environment == "production"
    provider = env.str("MESSAGING_PROVIDER", default="waha" if is_production else "loopback")
    if provider not in PROVIDERS:
        raise ImproperlyConfigured(f"MESSAGING_PROVIDER must be one of {PROVIDERS}")
    messaging = {
        "PROVIDER": provider,
        # A WAHA-compatible HTTP API (https://waha.devlike.pro): base URL and X-Api-Key.
        "WAHA_BASE_URL": env.str("WAHA_BASE_URL", default="http://127.0.0.1:3000"),
        "WAHA_API_KEY": env.str("WAHA_API_KEY", default=""),
        "WAHA_TIMEOUT_SECONDS": env.float("WAHA_TIMEOUT_SECONDS", default=10.0),
        # Extra attempts of a call answered 5xx or refused (and of a read that timed out).
        "WAHA_RETRIES": env.int("WAHA_RETRIES", default=2),
        "WAHA_RETRY_BACKOFF_SECONDS": env.float("WAHA_RETRY_BACKOFF_SECONDS", default=0.5),
        # Webhooks: the HMAC key the provider signs with, where it posts, the accepted age.
        "WEBHOOK_SECRET": env.str("MESSAGING_WEBHOOK_SECRET", default=DEV_WEBHOOK_SECRET),
        "WEBHOOK_URL": env.str(
            "MESSAGING_WEBHOOK_URL", default="http://127.0.0.1:8005/api/v1/messaging/webhooks/waha/"
        ),
        "WEBHOOK_TOLERANCE_SECONDS": env.int("MESSAGING_WEBHOOK_TOLERANCE_SECONDS", default=300),
        # The loopback phone: how long after a send its receipts arrive, and after a scan.
        "LOOPBACK_SCAN_SECONDS": env.float("LOOPBACK_SCAN_SECONDS", default=0.5),
        "LOOPBACK_DELIVERY_SECONDS": env.float("LOOPBACK_DELIVERY_SECONDS", default=1.0),
        "LOOPBACK_READ_SECONDS": env.float("LOOPBACK_READ_SECONDS", default=3.0),
        # QR login: a code lives this long; after this many codes unscanned the session fails.
        "QR_TTL_SECONDS": env.int("MESSAGING_QR_TTL_SECONDS", default=20),
        "QR_MAX_CODES": env.int("MESSAGING_QR_MAX_CODES", default=6),
        # Health probe: how long to wait for the device's acknowledgement of the test message.
        "PROBE_TIMEOUT_SECONDS": env.float("MESSAGING_PROBE_TIMEOUT_SECONDS", default=30.0),
        # Sending: attempts before a message fails, exponential backoff between them.
        "SEND_MAX_ATTEMPTS": env.int("MESSAGING_SEND_MAX_ATTEMPTS", default=5),
        "SEND_RETRY_BASE_SECONDS": env.float("MESSAGING_SEND_RETRY_BASE_SECONDS", default=2.0),
        "SEND_RETRY_MAX_SECONDS": env.float("MESSAGING_SEND_RETRY_MAX_SECONDS", default=300.0),
        # Content limits: WhatsApp's own are larger; these keep the service's storage bounded.
        "MAX_TEXT_LENGTH": env.int("MESSAGING_MAX_TEXT_LENGTH", default=4096),
        "MAX_CAPTION_LENGTH": env.int("MESSAGING_MAX_CAPTION_LENGTH", default=1024),
        "MEDIA_MAX_BYTES": env.int("MESSAGING_MEDIA_MAX_BYTES", default=16 * 1024 * 1024),
        "MEDIA_TYPES": env.list("MESSAGING_MEDIA_TYPES", default=DEFAULT_MEDIA_TYPES),
        "MEDIA_FETCH_TIMEOUT_SECONDS": env.float("MESSAGING_MEDIA_FETCH_TIMEOUT_SECONDS", default=10.0),
        # Media URLs on private or loopback addresses are refused in production (SSRF).
        "MEDIA_URL_ALLOW_PRIVATE": env.bool("MESSAGING_MEDIA_URL_ALLOW_PRIVATE", default=not is_production),
        # Quota: messages a user may send per UTC day, unless staff set another limit.
        "DAILY_MESSAGE_LIMIT": env.int("MESSAGING_DAILY_MESSAGE_LIMIT", default=1000),
        # Notifications: attempts of one e-mail before it is given up, and the language fallback.
        "EMAIL_MAX_ATTEMPTS": env.int("MESSAGING_EMAIL_MAX_ATTEMPTS", default=5),
        "DEFAULT_LANGUAGE": env.str("MESSAGING_DEFAULT_LANGUAGE", default="en"),
        # A queued message or pending e-mail never attempted this long after it was accepted (a
        # session still starting, a stop whose task never ran) has lost its task (the broker was
        # down): beat's messaging.dispatch_stale sends it again.
        "DISPATCH_STALE_AFTER_SECONDS": 30,
        "SITE_URL": env.str("SITE_URL", default="http://localhost:8080"),
    }
    settings: dict[str, Any] = {
        "MESSAGING": messaging,
        "LANGUAGES": LANGUAGES,
        "DEFAULT_FROM_EMAIL": env.str("DEFAULT_FROM_EMAIL", default="Platform <no-reply@platform.localhost>"),
        "MAIL_DIR": env.str("MAIL_DIR", default=str(default_mail_dir(base_dir))),
        "EMAIL": _email_backend(env, is_production=is_production),
        "CELERY_BEAT_SCHEDULE": {
            "messaging.expire-unscanned-sessions": {
                "task": "messaging.sessions.expire_unscanned",
                "schedule": 60.0,
                "options": {"expires": 60.0},  # a missed sweep is not queued up
            },
            "messaging.dispatch-stale": {
                "task": "messaging.dispatch_stale",
                "schedule": 15.0,
                "options": {"expires": 15.0},
            },
            "messaging.prune": {
                "task": "messaging.prune",
                "schedule": 3600.0,
                "options": {"expires": 3600.0},
            },
        },
    }
    if is_production:
        _check_production(env, messaging)
    return settings


def _email_backend(env: environ.Env, *, is_production: bool) -> dict[str, Any]:
    """SMTP from ``EMAIL_URL`` (smtp://, smtp+tls://, smtp+ssl://); without it, outside
    production, one ``.eml`` file per message under ``MAIL_DIR``. Tests use Django's locmem.

    ``EMAIL_PORT``, when set, is the SMTP port (over the URL's): plain configuration next to
    ``WAHA_BASE_URL``, which the deployment's egress NetworkPolicy is checked against (the URL
    itself is a secret)."""
    if not env.str("EMAIL_URL", default=""):
        return {"EMAIL_BACKEND": EML_BACKEND}
    email = env.email_url("EMAIL_URL")
    if env.str("EMAIL_PORT", default=""):
        email["EMAIL_PORT"] = env.int("EMAIL_PORT")
    email["EMAIL_TIMEOUT"] = env.int("EMAIL_TIMEOUT_SECONDS", default=10)
    return email


def _check_production(env: environ.Env, messaging: dict[str, Any]) -> None:
    problems = []
    if problem := secret_problem("MESSAGING_WEBHOOK_SECRET", messaging["WEBHOOK_SECRET"]):
        problems.append(problem)
    if not env.str("EMAIL_URL", default=""):
        problems.append("EMAIL_URL must point at the SMTP server")
    if messaging["PROVIDER"] == "waha" and not messaging["WAHA_API_KEY"]:
        problems.append("WAHA_API_KEY must be set")
    if problems:
        raise ImproperlyConfiguredForProduction("refusing to start in production: " + "; ".join(problems))
