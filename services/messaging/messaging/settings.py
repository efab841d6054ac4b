"""The messaging service's settings: servicekit's base (what every service shares) plus its own apps."""

from messaging.conf import messaging_settings
from servicekit.settings.base import *
from servicekit.settings.base import BASE_DIR, DJANGO_ENV, INSTALLED_APPS, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "messaging",
    "messaging.providers",
    "messaging.sessions",
    "messaging.chat",
    "messaging.quotas",
    "messaging.webhooks",
    "messaging.notifications",
    "messaging.links",
]

# messaging's own knobs, e-mail delivery, languages and beat schedule (messaging/conf.py).
_messaging = messaging_settings(env, base_dir=BASE_DIR, environment=DJANGO_ENV)
MESSAGING = _messaging["MESSAGING"]
LANGUAGES = _messaging["LANGUAGES"]
DEFAULT_FROM_EMAIL = _messaging["DEFAULT_FROM_EMAIL"]
MAIL_DIR = _messaging["MAIL_DIR"]
CELERY_BEAT_SCHEDULE = _messaging["CELERY_BEAT_SCHEDULE"]
# SMTP from EMAIL_URL (as django-environ parses it), else .eml files under MAIL_DIR.
_email = _messaging["EMAIL"]
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT")
