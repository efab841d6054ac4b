from pathlib import Path

from builds.config import BEAT_SCHEDULE, builds_settings
from servicekit.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

# All settings come from the environment through servicekit (see .env.example).
globals().update(
    service_settings(
        "builds",
        base_dir=BASE_DIR,
        apps=[
            "builds.repos",
            "builds.tokens",
            "builds.jobs",
            "builds.builds",
            "builds.console",
            "bootstrap",  # Bootstrap's static files (django-bootstrap-static) for the console
        ],
    )
)

BUILDS = builds_settings(base_dir=BASE_DIR, environment=DJANGO_ENV)  # noqa: F821 (set above)
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
