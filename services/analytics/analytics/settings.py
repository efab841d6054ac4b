"""The analytics service's settings: servicekit's base (what every service shares) plus its own apps."""

from analytics.conf import BEAT_SCHEDULE, analytics_settings
from servicekit.settings.base import *
from servicekit.settings.base import INSTALLED_APPS, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "analytics",
    "analytics.events",
    "analytics.requestlogs",
    "analytics.usage",
]

# analytics' own knobs (retention, partitions ahead) and its beat schedule: analytics/conf.py.
ANALYTICS = analytics_settings(env)
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
