"""``.flatpakref`` files: what ``flatpak install --from`` reads to find a ref in a repository."""

from __future__ import annotations

from builds.builds.refs import RUNTIME, Ref


def flatpakref(ref: Ref, *, url: str, title: str, collection_id: str = "") -> tuple[str, str]:
    """``(filename, contents)`` for ``ref`` served from the repository at ``url``."""
    lines = [
        "[Flatpak Ref]",
        f"Name={ref.id}",
        f"Branch={ref.branch}",
        f"Title={title}",
        f"IsRuntime={'true' if ref.kind == RUNTIME else 'false'}",
        f"Url={url}",
    ]
    if collection_id:
        lines.append(f"DeployCollectionID={collection_id}")
    return f"{ref.id}.flatpakref", "\n".join(lines) + "\n"
