"""What a local archive-mode OSTree repository holds, read with Debian's ``ostree`` program."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

METADATA_TYPES = ("commit", "dirtree", "dirmeta")


class LocalRepoError(Exception):
    pass


def _ostree(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["ostree", *args, f"--repo={repo}"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise LocalRepoError("the ostree program is missing (apt-get install ostree)") from None
    if result.returncode != 0:
        raise LocalRepoError(f"ostree {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def refs(repo: Path) -> list[str]:
    return sorted(line.strip() for line in _ostree(repo, "refs").splitlines() if line.strip())


def rev_parse(repo: Path, ref: str) -> str:
    return _ostree(repo, "rev-parse", ref).strip()


@dataclass(frozen=True)
class LocalObject:
    name: str  # <64 hex>.<type>, as uploaded
    path: Path
    size: int

    @property
    def is_metadata(self) -> bool:
        return self.name.rsplit(".", 1)[1] in METADATA_TYPES


def object_path(repo: Path, name: str) -> Path:
    return repo / "objects" / name[:2] / name[2:]


def needed_objects(repo: Path, commits: list[str]) -> list[LocalObject]:
    """Every object the commits reach (``ostree ls -R -C``), metadata objects first, each once."""
    names: dict[str, None] = {}
    for commit in commits:
        names[f"{commit}.commit"] = None
        for line in _ostree(repo, "ls", "-R", "-C", commit).splitlines():
            fields = line.split(maxsplit=6)
            if not fields:
                continue
            if fields[0].startswith("d"):  # mode uid gid size dirtree dirmeta path
                names[f"{fields[4]}.dirtree"] = None
                names[f"{fields[5]}.dirmeta"] = None
            else:  # mode uid gid size checksum path
                names[f"{fields[4]}.filez"] = None
    objects = []
    for name in names:
        path = object_path(repo, name)
        try:
            objects.append(LocalObject(name, path, path.stat().st_size))
        except FileNotFoundError:
            raise LocalRepoError(f"{path} is missing: is {repo} an archive-mode repository?") from None
    return sorted(objects, key=lambda item: not item.is_metadata)  # stable: keeps the walk's order
