from pathlib import Path

import environ

from identity.conf import identity_settings
from servicekit.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

# All settings come from the environment through servicekit (see .env.example).
globals().update(
    service_settings(
        "identity",
        base_dir=BASE_DIR,
        apps=[
            "django.contrib.postgres",
            "identity.accounts",
            "identity.tokens",
            "identity.logins",
            "identity.apikeys",
        ],
    )
)

AUTH_USER_MODEL = "accounts.User"

# identity's admin signs in against its own users, through the same brute-force rules and
# login history as the API (every other service asks identity: servicekit.adminauth).
AUTHENTICATION_BACKENDS = ["identity.logins.backends.IdentityAdminBackend"]

# identity's own knobs: signing keys, token lifetimes, lockout, one-time links, API keys.
IDENTITY = identity_settings(environ.Env(), base_dir=BASE_DIR, environment=DJANGO_ENV)  # noqa: F821
