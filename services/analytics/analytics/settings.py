from pathlib import Path

from analytics.conf import BEAT_SCHEDULE, analytics_settings
from servicekit.settings import Env, service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

# All settings come from the environment through servicekit (see .env.example).
globals().update(
    service_settings(
        "analytics",
        base_dir=BASE_DIR,
        apps=["analytics.events", "analytics.requestlogs", "analytics.usage"],
    )
)

# analytics' own knobs (retention, partitions ahead) and its beat schedule: analytics/conf.py.
ANALYTICS = analytics_settings(Env())
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
