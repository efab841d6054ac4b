import pytest

from tests.harness import Platform


@pytest.fixture(scope="session")
def platform():
    """All six services (web, consumer, relay) and the gateway, started once for the e2e suite."""
    with Platform() as running:
        yield running
        running.assert_alive()
