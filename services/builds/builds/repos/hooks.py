"""A repository's hooks: commands the worker runs for a build.

``check_hooks`` is a list of ``{"name", "command": [argv...], "reviewable": bool}``; each becomes
a check job after a successful commit. ``publish_hook`` is ``{"command": [argv...]}`` or null and
runs before a build is imported into the main repository. Commands are argument vectors (no
shell); they run in the build repository's directory with ``BUILDS_BUILD_ID``,
``BUILDS_JOB_ID``, ``BUILDS_REPOSITORY`` and ``BUILDS_BUILD_REPO`` in their environment (and
flat-manager's ``FLAT_MANAGER_BUILD_ID``/``FLAT_MANAGER_JOB_ID``, so its hooks keep working).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CHECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_CHECKS = 20
MAX_ARGS = 64


class InvalidHook(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class CheckHook:
    name: str
    command: tuple[str, ...]
    reviewable: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "command": list(self.command), "reviewable": self.reviewable}


@dataclass(frozen=True, slots=True)
class PublishHook:
    command: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"command": list(self.command)}


def parse_check_hooks(value: Any) -> list[CheckHook]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_CHECKS:
        raise InvalidHook("check_hooks", f"A list of at most {MAX_CHECKS} checks.")
    hooks, names = [], set()
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "command", "reviewable"}:
            raise InvalidHook("check_hooks", 'Each check is {"name", "command", "reviewable"}.')
        name = item.get("name")
        if not isinstance(name, str) or not CHECK_NAME.fullmatch(name) or name in names:
            raise InvalidHook(
                "check_hooks", f"Check names are unique words (letters, digits, _.-): {name!r}."
            )
        reviewable = item.get("reviewable", False)
        if not isinstance(reviewable, bool):
            raise InvalidHook("check_hooks", "reviewable is true or false.")
        names.add(name)
        hooks.append(CheckHook(name, _command("check_hooks", item.get("command")), reviewable))
    return hooks


def parse_publish_hook(value: Any) -> PublishHook | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"command"}:
        raise InvalidHook("publish_hook", 'The publish hook is {"command": [...]} or null.')
    return PublishHook(_command("publish_hook", value["command"]))


def _command(field: str, command: Any) -> tuple[str, ...]:
    if (
        not isinstance(command, list)
        or not 1 <= len(command) <= MAX_ARGS
        or not all(isinstance(arg, str) and arg and "\x00" not in arg for arg in command)
    ):
        raise InvalidHook(field, f"A command is a list of 1 to {MAX_ARGS} non-empty strings (no shell).")
    return tuple(command)
