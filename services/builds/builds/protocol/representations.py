"""The protocol's JSON shapes (flat-manager's Build, BuildRef, Check and Job), numbers on the wire."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from builds.builds.models import Build, BuildRef, Check
from builds.jobs.models import Job


def naive_utc(moment: datetime | None) -> str | None:
    """flat-manager's timestamps: naive UTC, microseconds."""
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") if moment else None


def build_json(build: Build) -> dict[str, Any]:
    return {
        "id": build.id,
        "created": naive_utc(build.created_at),
        "repo_state": build.repo_state,
        "repo_state_reason": build.repo_state_reason or None,
        "published_state": build.published_state,
        "published_state_reason": build.published_state_reason or None,
        "commit_job_id": build.commit_job_id,
        "publish_job_id": build.publish_job_id,
        "repo": build.repository.name,
        "extra_ids": build.extra_ids,
        "app_id": build.app_id or None,
        "public_download": build.public_download,
        "build_log_url": build.build_log_url or None,
        "token_name": build.creator_name or None,
    }


def build_ref_json(ref: BuildRef) -> dict[str, Any]:
    return {
        "id": ref.id,
        "build_id": ref.build_id,
        "ref_name": ref.ref_name,
        "commit": ref.commit,
        "build_log_url": ref.build_log_url or None,
    }


def check_json(check: Check) -> dict[str, Any]:
    return {
        "job_id": check.job_id,
        "build_id": check.build_id,
        "check_name": check.name,
        "status": check.status,
        "status_reason": check.status_reason or None,
        "results": json.dumps(check.results) if check.results is not None else None,
    }


def job_json(job: Job, log: str) -> dict[str, Any]:
    """``contents`` and ``results`` are JSON strings; ``results`` is absent until there are
    results; ``log`` is only the text after the asked offset."""
    body: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "contents": json.dumps(job.contents),
        "log": log,
        "start_after": _since_epoch(job.start_after),
        "repo": job.repository.name if job.repository_id else None,
    }
    if job.results is not None:
        body["results"] = json.dumps(job.results)
    return body


def _since_epoch(moment: datetime | None) -> dict[str, int] | None:
    if moment is None:
        return None
    micros = int(moment.timestamp() * 1_000_000)
    return {"secs_since_epoch": micros // 1_000_000, "nanos_since_epoch": (micros % 1_000_000) * 1000}
