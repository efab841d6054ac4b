"""The builds service's settings: servicekit's base (what every service shares) plus its own apps."""

from builds.config import BEAT_SCHEDULE, builds_settings, pooled
from servicekit.settings.base import *
from servicekit.settings.base import BASE_DIR, DATABASES, DJANGO_ENV, INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "builds",
    "builds.repos",
    "builds.tokens",
    "builds.jobs",
    "builds.builds",
    "builds.console",
    "bootstrap",  # Bootstrap's static files (django-bootstrap-static) for the console
]

# builds' own knobs: storage, token secret, upload limits, job timings (builds/config.py).
BUILDS = builds_settings(base_dir=BASE_DIR, environment=DJANGO_ENV)
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
# The web process runs under ASGI: its threads share a pool of connections (builds/config.py).
DATABASES = {"default": pooled(DATABASES["default"], max_size=BUILDS["DB_POOL_MAX_SIZE"])}
