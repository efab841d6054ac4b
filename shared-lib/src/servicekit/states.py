"""The one way a row's state changes: :func:`transition`.

A service keeps its state machine as one table (each state → the states it may become; anything
not listed is refused) and a history model. ``transition`` consults the table, saves exactly
the fields the change sets and has the caller write its history row, so a refused change leaves
nothing behind and an accepted one is never missing from the history. orders' order status and
builds' two state fields go through it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models

State = TypeVar("State", str, int)


def transition(
    instance: models.Model,
    field: str,
    target: State,
    *,
    table: Mapping[State, Collection[State]],
    refused: Callable[[State, list[State]], Exception],
    record: Callable[[State], object],
    changes: Mapping[str, Any] | None = None,
) -> State:
    """Move ``instance``'s ``field`` to ``target`` if ``table`` allows it; returns the previous state.

    The caller holds the row's lock (``select_for_update``) inside its transaction. ``changes``
    are the other fields the transition sets (a timestamp, a reason); they are saved with
    ``field`` and the model's ``updated_at``, and nothing else is. ``record(previous)`` then
    writes the history row. A transition the table does not list raises
    ``refused(current, the states current may become, sorted)`` and changes nothing, neither
    the row nor the instance.
    """
    current = getattr(instance, field)
    allowed = table[current]
    if target not in allowed:
        raise refused(current, sorted(allowed))
    values: dict[str, Any] = {field: target, **(changes or {})}
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save(update_fields=[*values, *_updated_at(instance)])
    record(current)
    return current


def _updated_at(instance: models.Model) -> list[str]:
    try:
        instance._meta.get_field("updated_at")
    except FieldDoesNotExist:
        return []
    return ["updated_at"]
