from pathlib import Path

from messaging.conf import messaging_settings
from servicekit.settings import Env, service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

# All settings come from the environment through servicekit (see .env.example).
globals().update(
    service_settings(
        "messaging",
        base_dir=BASE_DIR,
        apps=[
            "messaging.providers",
            "messaging.sessions",
            "messaging.chat",
            "messaging.quotas",
            "messaging.webhooks",
            "messaging.notifications",
        ],
    )
)

# messaging's own knobs, e-mail delivery, languages and beat schedule (messaging/conf.py).
globals().update(messaging_settings(Env(), base_dir=BASE_DIR, environment=DJANGO_ENV))  # noqa: F821
