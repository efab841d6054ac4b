import pytest

from catalog.cache import bump_read_version


@pytest.fixture(autouse=True)
def catalog_cache(settings):
    """Tests share the real Redis: use a key prefix of their own and start from a fresh version
    (never ``cache.clear()``, which would flush everybody's database)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "catalog-test"}}
    settings.CATALOG = {**settings.CATALOG, "CACHE_ENABLED": True}
    bump_read_version()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def customer_client(client_for):
    return client_for(roles=("customer",))


@pytest.fixture
def vendor_client(client_for):
    return client_for(roles=("vendor",))


@pytest.fixture
def other_vendor_client(client_for):
    return client_for(roles=("vendor",))
