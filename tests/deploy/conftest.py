"""Fixtures for the deploy checks: the validation tools, the compose files and the rendered
Kubernetes overlays. No Docker engine and no cluster: everything is checked statically."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.prod.yml")
# docker-compose.prod.yml refuses to render without the release to run.
IMAGE_TAG = "1.2.3-test"
COMPOSE_ENV = {**os.environ, "IMAGE_TAG": IMAGE_TAG}


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="session")
def tools() -> Path:
    """deploy/tools/install.sh: kubectl (kustomize), docker-compose, hadolint, kubernetes-validate."""
    result = run(["bash", "deploy/tools/install.sh"])
    assert result.returncode == 0, f"deploy/tools/install.sh failed:\n{result.stderr}"
    # The dev overlay's identity-jwt Secret is generated from the development key.
    keys = run(["bash", "deploy/tools/dev-keys.sh"])
    assert keys.returncode == 0, keys.stderr
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def rendered(tools: Path) -> dict[str, list[dict]]:
    """Each overlay rendered by kubectl's kustomize: overlay -> list of objects."""
    out = {}
    for overlay in OVERLAYS:
        result = run([str(tools / "kubectl"), "kustomize", f"deploy/k8s/overlays/{overlay}"])
        assert result.returncode == 0, f"overlay {overlay} does not render:\n{result.stderr}"
        out[overlay] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return out


@pytest.fixture(scope="session")
def compose() -> dict[str, dict]:
    """The compose files as written (YAML anchors and merge keys resolved)."""
    return {name: yaml.safe_load((ROOT / name).read_text()) for name in COMPOSE_FILES}


@pytest.fixture(scope="session")
def compose_config(tools: Path) -> dict[str, dict]:
    """The compose files as Docker Compose reads them (`config --format json`: interpolated,
    merged, every short syntax expanded), with IMAGE_TAG set."""
    out = {}
    for name in COMPOSE_FILES:
        result = run(
            [str(tools / "docker-compose"), "-f", name, "config", "--format", "json"], env=COMPOSE_ENV
        )
        assert result.returncode == 0, f"{name}:\n{result.stderr}"
        out[name] = json.loads(result.stdout)
    return out
