"""The builds domain's error codes and its state-conflict error."""

from __future__ import annotations

from enum import StrEnum

from servicekit.envelope.errors import Conflict


class BuildErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    VALIDATION_ERROR = "validation_error"
    WRONG_STATE = "conflict"  # the platform's code for a state conflict
    INVALID_REF = "invalid_ref"
    INVALID_UPLOAD_NAME = "invalid_upload_name"
    OBJECT_TOO_LARGE = "object_too_large"
    NO_REFS = "no_refs"
    CHECKS_NOT_PASSED = "checks_not_passed"
    CHECK_NOT_REVIEWABLE = "check_not_reviewable"


class WrongState(Conflict):
    """An action in a state that does not allow it. ``details`` name the state field
    (``repo_state`` or ``published_state``), ``current_state`` and ``expected_state`` (names, as
    flat-manager's ``wrong-repo-state``/``wrong-published-state`` errors carry them)."""

    code = BuildErrorCode.WRONG_STATE
