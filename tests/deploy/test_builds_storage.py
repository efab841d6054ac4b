"""The builds storage volume, written by the builds processes (uid 10001) and served by the
gateway's nginx (uid 101): mounted read-only for the gateway, read-write for builds, at the
same path in every deploy format; and what the builds image writes there is readable by
others (its entrypoint sets the umask, whatever the runtime hands down), checked with the
real entrypoint and the real ``ostree``."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import COMPOSE_FILES, OVERLAYS, ROOT

GATEWAY_UID = 101
MOUNT = "/app/var/media"
STORAGE_DIR = "/app/var/media/builds"
BUILDS_PROCESSES = ("builds", "builds-worker", "builds-consumer", "builds-relay")


def _env(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container.get("env") or []}


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_mounts_the_storage_read_only_for_the_gateway_only(compose_config, name):
    services = compose_config[name]["services"]

    def mount(service: str) -> dict:
        found = [v for v in services[service].get("volumes") or [] if v.get("source") == "builds-media"]
        assert len(found) == 1, (name, service, services[service].get("volumes"))
        return found[0]

    gateway = mount("gateway")
    assert (gateway["type"], gateway["target"], gateway.get("read_only")) == ("volume", MOUNT, True)
    assert services["gateway"]["environment"]["BUILDS_STORAGE_DIR"] == STORAGE_DIR
    for process in BUILDS_PROCESSES:
        if process not in services:
            continue
        own = mount(process)
        assert (own["target"], own.get("read_only", False)) == (MOUNT, False), (name, process)
        assert services[process]["environment"]["BUILDS_STORAGE_DIR"] == STORAGE_DIR
    assert "builds" in services and "builds-worker" in services


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_mounts_the_storage_read_only_for_the_gateway_only(rendered, overlay):
    deployments = {o["metadata"]["name"]: o for o in rendered[overlay] if o["kind"] == "Deployment"}
    gateway = deployments["gateway"]["spec"]["template"]["spec"]
    assert gateway["securityContext"]["runAsUser"] == GATEWAY_UID
    volume = next(v for v in gateway["volumes"] if v["name"] == "builds-media")
    assert volume["persistentVolumeClaim"] == {"claimName": "builds-media", "readOnly": True}
    container = next(c for c in gateway["containers"] if c["name"] == "gateway")
    mount = next(m for m in container["volumeMounts"] if m["name"] == "builds-media")
    assert (mount["mountPath"], mount.get("readOnly")) == (MOUNT, True)

    builds = [d for n, d in deployments.items() if n.startswith("builds-")]
    assert {d["metadata"]["name"] for d in builds} >= {"builds-web", "builds-worker"}
    for deployment in builds:
        spec = deployment["spec"]["template"]["spec"]
        volume = next(v for v in spec["volumes"] if v["name"] == "media")
        assert volume["persistentVolumeClaim"]["claimName"] == "builds-media"
        assert not volume["persistentVolumeClaim"].get("readOnly")
        app = next(c for c in spec["containers"] if c["name"] == "app")
        assert _env(app)["BUILDS_STORAGE_DIR"] == STORAGE_DIR
        assert any(m["mountPath"] == MOUNT and not m.get("readOnly") for m in app["volumeMounts"])
        # Another uid than nginx's: only the "other" permission bits let the gateway read.
        assert spec["securityContext"]["runAsUser"] != GATEWAY_UID


def test_what_the_builds_entrypoint_runs_writes_files_others_can_read(tmp_path):
    """The image's ENTRYPOINT is services/builds/entrypoint.sh; run it under umask 077 with a
    stand-in for python that makes a repository the way the service does (ostree, mkdir, a
    written file) and see every file readable, every directory searchable, by others."""
    storage = tmp_path / "storage"
    stand_in = tmp_path / "python"
    stand_in.write_text(
        "#!/bin/sh\nset -e\n"
        f'repo="{storage}/repos/apps"\n'
        'mkdir -p "$repo/appstream" && ostree init --mode=archive-z2 --repo="$repo"\n'
        'echo "[Flatpak Ref]" > "$repo/appstream/org.example.Hello.flatpakref"\n'
        'mkdir -p "$repo/../../tree" && echo hi > "$repo/../../tree/file"\n'
        'ostree commit --repo="$repo" --branch=app/org.example.Hello/x86_64/stable "$repo/../../tree" >/dev/null\n'
    )
    stand_in.chmod(0o755)

    result = subprocess.run(
        [str(ROOT / "services/builds/entrypoint.sh"), "web"],
        env={**os.environ, "PYTHON": str(stand_in)},
        preexec_fn=lambda: os.umask(0o077),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    paths = [storage, *storage.rglob("*")]
    assert any(p.parent.name == "objects" or p.parent.parent.name == "objects" for p in paths)
    # Dot files (ostree's .lock, 0600 whatever the umask) are never served: nginx refuses any
    # path segment starting with a dot.
    served = [p for p in paths if not any(part.startswith(".") for part in p.relative_to(tmp_path).parts)]
    unreadable = [str(p.relative_to(storage)) for p in served if not _readable_by_others(p)]
    assert not unreadable, unreadable


def _readable_by_others(path: Path) -> bool:
    mode = path.lstat().st_mode
    if stat.S_ISDIR(mode):
        return bool(mode & stat.S_IROTH and mode & stat.S_IXOTH)
    return bool(mode & stat.S_IROTH) or stat.S_ISLNK(mode)
