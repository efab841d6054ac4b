"""The builds service's own settings (``settings.BUILDS``), read from the environment.

Kept out of ``settings.py`` so that file stays the platform's few lines; documented in
``.env.example``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from servicekit.settings import DEV_SECRET_PREFIX, Env, refuse_insecure_secrets

DEV_TOKEN_SECRET = f"{DEV_SECRET_PREFIX}builds-token-secret"
GIB = 1024**3

# Celery beat: re-dispatch jobs whose task was lost (broker down at enqueue time, a worker
# killed mid-job); see builds.jobs.services.jobs_dispatch_stale.
DISPATCH_STALE_JOBS_EVERY_SECONDS = 60.0
BEAT_SCHEDULE = {
    "builds.jobs.dispatch-stale": {
        "task": "builds.jobs.dispatch_stale",
        "schedule": DISPATCH_STALE_JOBS_EVERY_SECONDS,
        "options": {"expires": DISPATCH_STALE_JOBS_EVERY_SECONDS},
    },
}


def token_secret(value: str) -> bytes:
    """The HS256 key of build tokens. ``base64:<data>`` reads flat-manager's config form (its
    ``secret`` is base64), so tokens it issued keep working; anything else is used as is."""
    if value.startswith("base64:"):
        return base64.b64decode(value.removeprefix("base64:"), validate=True)
    return value.encode()


def builds_settings(*, base_dir: Path, environment: str) -> dict[str, Any]:
    env = Env()
    secret = env.str("BUILDS_TOKEN_SECRET", default=DEV_TOKEN_SECRET)
    if environment == "production":
        refuse_insecure_secrets({"BUILDS_TOKEN_SECRET": secret})
    return {
        # One directory tree: main repositories, build repositories and their upload areas.
        "STORAGE_DIR": Path(
            env.str("BUILDS_STORAGE_DIR", default=str(base_dir / "var" / "builds"))
        ).resolve(),
        # Signs and verifies build tokens (HS256, as flat-manager).
        "TOKEN_SECRET": token_secret(secret),
        # The public origin clients reach the gateway at (the Url of .flatpakref files).
        "PUBLIC_URL": env.str("BUILDS_PUBLIC_URL", default="http://localhost:8080").rstrip("/"),
        # Largest upload request (a batch of objects), enforced while the body streams in.
        "UPLOAD_MAX_BODY_BYTES": env.int("BUILDS_UPLOAD_MAX_BODY_BYTES", default=2 * GIB),
        # Largest single uploaded object or static-delta part.
        "UPLOAD_MAX_OBJECT_BYTES": env.int("BUILDS_UPLOAD_MAX_OBJECT_BYTES", default=2 * GIB),
        # Publishes within this many seconds share one update-repo job (summary, appstream, deltas).
        "UPDATE_REPO_DELAY_SECONDS": env.int("BUILDS_UPDATE_REPO_DELAY_SECONDS", default=10),
        # A check or publish hook running longer than this is stopped and fails.
        "HOOK_TIMEOUT_SECONDS": env.int("BUILDS_HOOK_TIMEOUT_SECONDS", default=1800),
        # Hard limit of one job (commit, publish, update-repo of a large repository take a while).
        "JOB_TIME_LIMIT_SECONDS": env.int("BUILDS_JOB_TIME_LIMIT_SECONDS", default=3 * 3600),
        # Database connections a web process's threads share (see pooled()).
        "DB_POOL_MAX_SIZE": env.int("DB_POOL_MAX_SIZE", default=10),
    }


def pooled(database: dict[str, Any], *, max_size: int) -> dict[str, Any]:
    """``database`` with Django's psycopg connection pool. Under ASGI each request's sync code
    runs in a thread of its own, so a connection kept per thread (``CONN_MAX_AGE``) is never
    reused: the process's threads share a pool instead (``CONN_MAX_AGE`` must then be 0)."""
    options = {**database.get("OPTIONS", {}), "pool": {"min_size": 1, "max_size": max_size, "timeout": 10}}
    return {**database, "CONN_MAX_AGE": 0, "OPTIONS": options}
