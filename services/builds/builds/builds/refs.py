"""Ref names a build may carry: ``app/ID/ARCH/BRANCH``, ``runtime/ID/ARCH/BRANCH`` or
``screenshots/ARCH``; anything else is refused with flat-manager's "Invalid ref_name"."""

from __future__ import annotations

from dataclasses import dataclass

from builds.validation import ARCH, BRANCH, FLATPAK_ID, matches

APP, RUNTIME, SCREENSHOTS = "app", "runtime", "screenshots"
# Runtime refs that are parts of something else get no .flatpakref (flat-manager's list).
_EXTENSION_SUFFIXES = (".Debug", ".Locale", ".Sources", ".Docs")


class InvalidRef(ValueError):
    def __init__(self, ref_name: object) -> None:
        super().__init__(f"Invalid ref_name {str(ref_name)[:300]}")


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    kind: str
    id: str  # "" for screenshots
    arch: str
    branch: str  # "" for screenshots

    @property
    def gets_flatpakref(self) -> bool:
        return self.kind == APP or (self.kind == RUNTIME and not self.id.endswith(_EXTENSION_SUFFIXES))


def parse_ref(ref_name: object) -> Ref:
    if not isinstance(ref_name, str) or len(ref_name) > 512:
        raise InvalidRef(ref_name)
    parts = ref_name.split("/")
    if parts[0] == SCREENSHOTS and len(parts) == 2 and matches(ARCH, parts[1]):
        return Ref(ref_name, SCREENSHOTS, "", parts[1], "")
    if (
        parts[0] in (APP, RUNTIME)
        and len(parts) == 4
        and matches(FLATPAK_ID, parts[1])
        and matches(ARCH, parts[2])
        and matches(BRANCH, parts[3])
    ):
        return Ref(ref_name, parts[0], parts[1], parts[2], parts[3])
    raise InvalidRef(ref_name)
