"""Where things live under ``BUILDS_STORAGE_DIR``::

    repos/<name>/            a published (main) repository, archive mode
    builds/<id>/             a build's repository, archive mode, core.parent = its main repository
    builds/<id>/upload/      the upload area: an archive repository (parent: the main one too)
                             holding objects/<2 hex>/<rest> exactly as clients uploaded them
    builds/<id>/upload/incoming/   uploads being written (then linked into place)
    tmp/                     scratch repositories of jobs (a republish edits its commits there)

Repository names and build ids are validated before they become paths, and every path is
checked to stay under the root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class UnsafePath(ValueError):
    pass


@dataclass(frozen=True)
class Storage:
    root: Path

    @classmethod
    def configured(cls) -> Storage:
        from django.conf import settings

        return cls(Path(settings.BUILDS["STORAGE_DIR"]))

    def repository(self, name: str) -> Path:
        if not isinstance(name, str) or REPOSITORY_NAME.fullmatch(name) is None:
            raise UnsafePath(f"not a repository name: {name!r}")
        return self._inside(self.root / "repos" / name)

    def build(self, build_id: int) -> Path:
        if not isinstance(build_id, int) or isinstance(build_id, bool) or build_id < 1:
            raise UnsafePath(f"not a build id: {build_id!r}")
        return self._inside(self.root / "builds" / str(build_id))

    def upload_area(self, build_id: int) -> Path:
        return self.build(build_id) / "upload"

    def incoming(self, build_id: int) -> Path:
        return self.upload_area(build_id) / "incoming"

    def scratch(self) -> Path:
        return self._inside(self.root / "tmp")

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise UnsafePath(f"{path} is outside {self.root}")
        return resolved
