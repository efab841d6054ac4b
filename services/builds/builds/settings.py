"""The builds service's settings: servicekit's base (what every service shares) plus its own apps."""

from builds.config import BEAT_SCHEDULE, builds_settings
from servicekit.settings.base import *
from servicekit.settings.base import BASE_DIR, DJANGO_ENV, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "builds", "builds.repos", "builds.tokens", "builds.jobs", "builds.builds"]

# builds' own knobs: storage, token secret, upload limits, job timings (builds/config.py).
BUILDS = builds_settings(base_dir=BASE_DIR, environment=DJANGO_ENV)
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
