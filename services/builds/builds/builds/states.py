"""The one way a build's state changes: :func:`transition` (``servicekit.states.transition``),
which consults the table (``models.TRANSITIONS``) and writes a history row; and
:func:`wrong_state`, the conflict that names the current state."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from builds.builds.errors import WrongState
from builds.builds.models import TRANSITIONS, Build, BuildStateChange, StateField, state_name
from servicekit import states

REASON_FIELD = {StateField.REPO: "repo_state_reason", StateField.PUBLISHED: "published_state_reason"}


# Each field's own table (state → the states it may become), as servicekit.states reads it.
_TABLES = {
    field: {state: targets for (of, state), targets in TRANSITIONS.items() if of == field}
    for field in StateField
}


def can_transition(field: StateField, current: int, target: int) -> bool:
    return target in _TABLES[field][current]


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
    return states.transition(
        build,
        field,
        target,
        table=_TABLES[field],
        refused=lambda current, allowed: wrong_state(
            build,
            field,
            expected=[state_name(field, state) for state in allowed] or [state_name(field, target)],
            action=action or f"become {state_name(field, target)}",
        ),
        record=lambda previous: BuildStateChange.objects.create(
            build=build,
            field=field,
            from_state=previous,
            to_state=target,
            actor=actor,
            job_id=job_id,
            reason=reason,
            created_at=timezone.now(),
        ),
        changes={REASON_FIELD[field]: reason},
    )


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
