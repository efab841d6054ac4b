"""One platform for the hardening suites (fuzzing and the authorization sweep): all six services
and the gateway, messaging's worker (its loopback phone) and builds' worker, with the world of
users and objects both suites act on."""

from __future__ import annotations

import pytest

from tests.hardening.world import World
from tests.harness import Platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    env = {
        "BUILDS_STORAGE_DIR": str(tmp_path_factory.mktemp("builds-storage")),
        "BUILDS_UPDATE_REPO_DELAY_SECONDS": "0",
    }
    with Platform(extra_processes={"messaging": ("worker",)}, env=env, gunicorn_workers=1) as running:
        yield running
        running.assert_alive()


@pytest.fixture(scope="session")
def world(platform) -> World:
    return World(platform).build()


def pytest_collection_modifyitems(items):
    """Fuzzing last: its valid examples act on the world's objects (delete a product, purge a
    build), which the sweeps and the hostile-input tests need as they were made."""
    items.sort(key=lambda item: item.path.name == "test_fuzz.py")
