"""identity's own settings (the ``IDENTITY`` dict), read from the environment.

Kept out of ``settings.py`` so the production checks can be unit-tested without
re-importing Django settings. Every variable is documented in ``.env.example`` and in
``services/identity/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import ImproperlyConfiguredForProduction, refuse_insecure_secrets

# The contract caps access tokens at 15 minutes (ARCHITECTURE.md section 5).
MAX_ACCESS_TOKEN_SECONDS = 15 * 60
# Reuse of a rotated refresh token goes undetected for this long: keep it short.
MAX_REFRESH_REUSE_GRACE_SECONDS = 60


def default_key_file(base_dir: Path) -> Path:
    """Where ``scripts/dev_keys.py`` writes the development key: ``<repo>/var/keys/``."""
    return base_dir.parent.parent / "var" / "keys" / "jwt-signing.pem"


def identity_settings(env: environ.Env, *, base_dir: Path, environment: str) -> dict[str, Any]:
    is_production = environment == "production"
    private_key_pem = env.str("JWT_PRIVATE_KEY", default="") or None
    private_key_file = env.str("JWT_PRIVATE_KEY_FILE", default="") or None
    if private_key_file is None and not is_production:
        private_key_file = str(default_key_file(base_dir))

    access_seconds = env.int("JWT_ACCESS_TOKEN_SECONDS", default=MAX_ACCESS_TOKEN_SECONDS)
    if not 0 < access_seconds <= MAX_ACCESS_TOKEN_SECONDS:
        raise ImproperlyConfigured(
            f"JWT_ACCESS_TOKEN_SECONDS must be between 1 and {MAX_ACCESS_TOKEN_SECONDS}"
        )

    reuse_grace = env.int("JWT_REFRESH_REUSE_GRACE_SECONDS", default=10)
    if not 0 <= reuse_grace <= MAX_REFRESH_REUSE_GRACE_SECONDS:
        raise ImproperlyConfigured(
            f"JWT_REFRESH_REUSE_GRACE_SECONDS must be between 0 and {MAX_REFRESH_REUSE_GRACE_SECONDS}"
        )

    conf: dict[str, Any] = {
        "SIGNING_KEYS": {
            # The active private key: PEM in the environment, or a file (mounted secret, var/).
            "PRIVATE_KEY": private_key_pem,
            "PRIVATE_KEY_FILE": private_key_file,
            # Public keys still published and accepted after a rotation (PEM bundle).
            "PREVIOUS_PUBLIC_KEYS": env.str("JWT_PREVIOUS_PUBLIC_KEYS", default="") or None,
            "PREVIOUS_PUBLIC_KEYS_FILE": env.str("JWT_PREVIOUS_PUBLIC_KEYS_FILE", default="") or None,
            # How often a process looks at the key files for a rotation (a stat() call).
            "RELOAD_SECONDS": env.float("JWT_KEY_RELOAD_SECONDS", default=2.0),
        },
        "ACCESS_TOKEN_SECONDS": access_seconds,
        "REFRESH_TOKEN_SECONDS": env.int("JWT_REFRESH_TOKEN_SECONDS", default=14 * 24 * 3600),
        # A rotated refresh token presented again within this many seconds (two tabs, a client
        # retry) is refused without revoking the user's other sessions; later, it is reuse.
        "REFRESH_REUSE_GRACE_SECONDS": reuse_grace,
        # Scopes carried by tokens from an interactive login (API keys carry their own).
        "USER_TOKEN_SCOPES": env.list("USER_TOKEN_SCOPES", default=[]),
        # Brute-force protection (counters live in Redis through the Django cache): failures
        # from one address lock that (account, address) pair; failures from all addresses
        # past the free ones slow the account down, each attempt after a growing delay.
        "LOCKOUT_THRESHOLD": env.int("LOGIN_LOCKOUT_THRESHOLD", default=5),
        "LOCKOUT_SECONDS": env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60),
        "FAILURE_WINDOW_SECONDS": env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60),
        "ACCOUNT_FREE_FAILURES": env.int("LOGIN_ACCOUNT_FREE_FAILURES", default=10),
        "ACCOUNT_MAX_DELAY_SECONDS": env.int("LOGIN_ACCOUNT_MAX_DELAY_SECONDS", default=60),
        "IP_MAX_FAILURES": env.int("LOGIN_IP_MAX_FAILURES", default=20),
        "IP_WINDOW_SECONDS": env.int("LOGIN_IP_WINDOW_SECONDS", default=5 * 60),
        # One-time links sent by messaging; {token} is replaced. They lead to messaging's pages
        # (through the gateway), which hand the token back to this service's API.
        "EMAIL_VERIFICATION_URL": env.str(
            "EMAIL_VERIFICATION_URL", default="http://localhost:8080/account/verify/?token={token}"
        ),
        "EMAIL_VERIFICATION_SECONDS": env.int("EMAIL_VERIFICATION_SECONDS", default=48 * 3600),
        "PASSWORD_RESET_URL": env.str(
            "PASSWORD_RESET_URL", default="http://localhost:8080/account/reset-password/?token={token}"
        ),
        "PASSWORD_RESET_SECONDS": env.int("PASSWORD_RESET_SECONDS", default=3600),
        # A second request for the same email within this window sends nothing new.
        "EMAIL_COOLDOWN_SECONDS": env.int("EMAIL_COOLDOWN_SECONDS", default=60),
        # Keyed hash of API key secrets; empty means "derive from SECRET_KEY".
        "API_KEY_HASH_KEY": env.str("API_KEY_HASH_KEY", default=""),
        "API_KEY_LAST_USED_RESOLUTION_SECONDS": env.int("API_KEY_LAST_USED_RESOLUTION_SECONDS", default=60),
    }
    if is_production:
        _check_production_keys(conf["SIGNING_KEYS"])
        if conf["API_KEY_HASH_KEY"]:  # empty: derived from SECRET_KEY, which servicekit checks
            refuse_insecure_secrets({"API_KEY_HASH_KEY": conf["API_KEY_HASH_KEY"]})
    return conf


def _check_production_keys(keys: dict[str, Any]) -> None:
    if keys["PRIVATE_KEY"]:
        return
    path = keys["PRIVATE_KEY_FILE"]
    if not path:
        raise ImproperlyConfiguredForProduction(
            "refusing to start in production: set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE"
        )
    if not Path(path).is_file():
        raise ImproperlyConfiguredForProduction(
            f"refusing to start in production: JWT_PRIVATE_KEY_FILE {path} does not exist"
        )
