"""Test content made with the real tools: a small Flatpak app in an archive-mode OSTree
repository, written by hand the way the protocol notes show (no runtime or SDK needed)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

METADATA = """[Application]
name={app_id}
runtime=org.freedesktop.Platform/x86_64/23.08
sdk=org.freedesktop.Sdk/x86_64/23.08
command=hello
"""


def sh(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args} failed: {result.stderr}"
    return result.stdout.strip()


@dataclass(frozen=True)
class AppRepo:
    """An app exported into a local archive repository, as a CI job has it before uploading."""

    path: Path
    app_id: str
    branch: str

    @property
    def ref(self) -> str:
        return f"app/{self.app_id}/x86_64/{self.branch}"

    @property
    def commit(self) -> str:
        return sh("ostree", "rev-parse", f"--repo={self.path}", self.ref)

    def object_names(self) -> list[str]:
        """Every object, named as the client uploads it (``<64 hex>.<type>``), metadata first."""
        names = [f"{p.parent.name}{p.name}" for p in sorted((self.path / "objects").glob("*/*"))]
        return sorted(names, key=lambda name: (name.endswith(".filez"), name))

    def object_bytes(self, name: str) -> bytes:
        return (self.path / "objects" / name[:2] / name[2:]).read_bytes()


def make_app(
    root: Path, *, app_id: str = "org.example.Hello", branch: str = "stable", text: str = "hello"
) -> AppRepo:
    """``root/<app id>-<branch>/repo`` holding ``app/<app id>/x86_64/<branch>``."""
    base = root / f"{app_id}-{branch}-{abs(hash(text))}"
    appdir = base / "appdir"
    (appdir / "files" / "bin").mkdir(parents=True)
    (appdir / "export").mkdir()
    (appdir / "metadata").write_text(METADATA.format(app_id=app_id))
    script = appdir / "files" / "bin" / "hello"
    script.write_text(f"#!/bin/sh\necho {text}\n")
    script.chmod(0o755)
    (appdir / "files" / "share").mkdir()
    (appdir / "files" / "share" / "message.txt").write_text(text * 50)
    repo = base / "repo"
    sh("ostree", "init", "--mode=archive-z2", f"--repo={repo}")
    sh("flatpak", "build-export", repo, appdir, branch)
    return AppRepo(repo, app_id, branch)


def add_screenshots(app: AppRepo, files: dict[str, bytes], *, arch: str = "x86_64") -> tuple[str, str]:
    """Commit ``files`` (paths relative to the screenshots tree) as ``screenshots/<arch>`` into
    the app's repository, as a CI job does with the appstream screenshots it made; returns the
    ref and its commit."""
    tree = app.path.parent / f"screenshots-{arch}"
    for relative, content in files.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_bytes(content)
    ref = f"screenshots/{arch}"
    sh("ostree", "commit", f"--repo={app.path}", "--canonical-permissions", f"--branch={ref}", tree)
    return ref, sh("ostree", "rev-parse", f"--repo={app.path}", ref)


def ostree_pull(repo_url: str, ref: str, into: Path) -> str:
    """Pull ``ref`` from ``repo_url`` into a fresh bare-user repository; returns the pulled commit."""
    sh("ostree", "init", f"--repo={into}", "--mode=bare-user")
    sh("ostree", "remote", "add", f"--repo={into}", "--no-gpg-verify", "origin", repo_url)
    sh("ostree", "pull", f"--repo={into}", "origin", ref)
    return sh("ostree", "rev-parse", f"--repo={into}", f"origin:{ref}")


def flatpak_remote_ls(repo_url: str, home: Path) -> str:
    """``flatpak remote-ls`` of ``repo_url`` through a user installation under ``home``."""
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    sh("flatpak", "remote-add", "--user", "--no-gpg-verify", "published", repo_url, env=env)
    return sh("flatpak", "remote-ls", "--user", "--columns=ref", "published", env=env)
