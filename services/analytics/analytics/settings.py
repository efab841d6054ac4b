"""The analytics service's settings: servicekit's base (what every service shares) plus its own apps."""

from analytics.conf import BEAT_SCHEDULE, analytics_settings
from servicekit.settings.base import *
from servicekit.settings.base import BASE_DIR, INSTALLED_APPS, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "analytics",
    "analytics.events",
    "analytics.requestlogs",
    "analytics.usage",
    "analytics.dashboard",
    "bootstrap",  # Bootstrap's static files (django-bootstrap-static) for the dashboard
]

# Chart.js, installed from the npm registry (package.json, package-lock.json; `npm ci` by
# scripts/bootstrap.sh and services/Dockerfile), served as /static/analytics/chartjs/….
STATICFILES_DIRS = [("chartjs", str(BASE_DIR / "node_modules" / "chart.js" / "dist"))]

# analytics' own knobs (retention, partitions ahead) and its beat schedule: analytics/conf.py.
ANALYTICS = analytics_settings(env)
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
