"""The one way a build's state changes: :func:`transition`, which consults the table
(``models.TRANSITIONS``) and writes a history row; and :func:`wrong_state`, the conflict that
names the current state."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from builds.builds.errors import WrongState
from builds.builds.models import TRANSITIONS, Build, BuildStateChange, StateField, state_name

REASON_FIELD = {StateField.REPO: "repo_state_reason", StateField.PUBLISHED: "published_state_reason"}


def can_transition(field: StateField, current: int, target: int) -> bool:
    return target in TRANSITIONS[(field, current)]


def transition(
    build: Build,
    field: StateField,
    target: int,
    *,
    actor: str,
    reason: str = "",
    job_id: int | None = None,
    action: str = "",
) -> int:
    """Move a locked build's ``field`` to ``target`` if the table allows it; returns the
    previous value. ``reason`` is kept on the build (why it failed) and in the history."""
    current = getattr(build, field)
    if not can_transition(field, current, target):
        allowed = [state_name(field, state) for state in sorted(TRANSITIONS[(field, current)])]
        raise wrong_state(
            build,
            field,
            expected=allowed or [state_name(field, target)],
            action=action or f"become {state_name(field, target)}",
        )
    setattr(build, field, target)
    setattr(build, REASON_FIELD[field], reason)
    build.save(update_fields=[field, REASON_FIELD[field], "updated_at"])
    BuildStateChange.objects.create(
        build=build,
        field=field,
        from_state=current,
        to_state=target,
        actor=actor,
        job_id=job_id,
        reason=reason,
        created_at=timezone.now(),
    )
    return current


def wrong_state(
    build: Build, field: StateField, *, expected: Iterable[str] | str, action: str, message: str = ""
) -> WrongState:
    """The conflict for ``action`` on a build whose ``field`` does not allow it."""
    current = state_name(field, getattr(build, field))
    expected = [expected] if isinstance(expected, str) else list(expected)
    reason = getattr(build, REASON_FIELD[field])
    return WrongState(
        message or f"Build {build.id} is {current}{f' ({reason})' if reason else ''}; cannot {action}.",
        details={
            "field": str(field),
            "current_state": current,
            "expected_state": expected[0] if len(expected) == 1 else expected,
        },
    )


def record_creation(build: Build, *, actor: str) -> None:
    for field in StateField:
        BuildStateChange.objects.create(
            build=build, field=field, from_state=None, to_state=getattr(build, field), actor=actor
        )
