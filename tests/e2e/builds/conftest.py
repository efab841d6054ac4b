"""One platform for the builds end-to-end tests: identity (sign-in), builds (web, worker,
event processes) and the gateway, with the builds storage in the run's own directory."""

from __future__ import annotations

import pytest

from tests.e2e.shopping import Api, create_admin
from tests.harness import Platform


@pytest.fixture(scope="package")
def builds_platform(tmp_path_factory):
    storage = tmp_path_factory.mktemp("builds-storage")
    env = {"BUILDS_STORAGE_DIR": str(storage), "BUILDS_UPDATE_REPO_DELAY_SECONDS": "0"}
    with Platform(
        services=["identity", "builds"], processes=("web", "worker", "consumer", "relay"), env=env
    ) as running:
        yield running
        running.assert_alive()


@pytest.fixture(scope="package")
def builds_admin(builds_platform) -> Api:
    return create_admin(builds_platform)
