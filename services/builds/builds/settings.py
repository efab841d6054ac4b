from pathlib import Path

from builds.config import BEAT_SCHEDULE, builds_settings, pooled
from servicekit.settings import Env, service_settings

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
DATABASES["default"] = pooled(DATABASES["default"], max_size=Env().int("DB_POOL_MAX_SIZE", default=10))  # noqa: F821
