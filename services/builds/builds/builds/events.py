"""The ``data`` of every event the builds domain publishes (schemas in contracts/events/).

Each carries the build's creator, so the messaging service can tell them what happened.
"""

from __future__ import annotations

from typing import Any

from builds.builds.creators import creator_of
from builds.builds.models import Build, Check


def _base(build: Build) -> dict[str, Any]:
    return {
        "build_id": build.id,
        "repository": build.repository.name,
        "app_id": build.app_id or None,
        "creator": creator_of(build),
    }


def build_created(build: Build) -> dict[str, Any]:
    return {**_base(build), "created_at": build.created_at.isoformat()}


def build_committed(build: Build, refs: dict[str, str]) -> dict[str, Any]:
    return {
        **_base(build),
        "refs": refs,
        "state": build.get_repo_state_display(),  # "ready", or "validating" while checks run
        "checks": [check.name for check in build.checks.all()],
    }


def build_failed(build: Build, *, stage: str, reason: str) -> dict[str, Any]:
    return {**_base(build), "stage": stage, "reason": reason}


def build_published(build: Build, refs: dict[str, str], update_repo_job_id: int) -> dict[str, Any]:
    return {
        **_base(build),
        "refs": refs,
        "update_repo_job_id": update_repo_job_id,
        "published_at": build.published_at.isoformat() if build.published_at else None,
    }


def build_purged(build: Build, *, reason: str) -> dict[str, Any]:
    return {**_base(build), "reason": reason}


def check_failed(build: Build, check: Check) -> dict[str, Any]:
    return {
        **_base(build),
        "check_name": check.name,
        "job_id": check.job_id,
        "reason": check.status_reason,
        "reviewed_by": check.reviewed_by or None,
    }
