import uuid

import pytest

from tests.e2e.shopping import create_admin
from tests.harness import Platform


@pytest.fixture(scope="session")
def platform():
    """All six services (web, consumer, relay) and the gateway, started once for the e2e suite;
    messaging's worker too, which sends its e-mails and plays the loopback phone."""
    with Platform(extra_processes={"messaging": ("worker",)}) as running:
        yield running
        running.assert_alive()


@pytest.fixture(scope="module")
def admin(platform):
    return create_admin(platform)


@pytest.fixture(scope="module")
def category(admin):
    response = admin.post(
        "/api/v1/catalog/categories/", {"name": f"Saga {uuid.uuid4().hex[:6]}", "parent": None}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def pytest_collection_modifyitems(session, config, items):
    """The log scan runs after every other test of the run, so it reads all their logs."""
    last = [item for item in items if item.nodeid.startswith("tests/e2e/test_zz_logs_hold_no_secrets.py")]
    items[:] = [item for item in items if item not in last] + last
