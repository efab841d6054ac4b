import contextlib
import uuid

import pytest

from catalog.cache import VERSION_KEY, bump_read_version

# Unique per test session: suites running at the same time on the same Redis (another checkout,
# CI jobs in parallel) never read or bump each other's entries and version counter.
CACHE_KEY_PREFIX = f"catalog-test-{uuid.uuid4().hex}"


@pytest.fixture(scope="session", autouse=True)
def forget_session_cache_keys():
    """Cached reads expire on their own; the version counter never does: drop it at the end."""
    yield
    from django.conf import settings
    from django.core.cache.backends.redis import RedisCache

    conf = settings.CACHES["default"]
    with contextlib.suppress(Exception):  # Redis gone: nothing to tidy
        RedisCache(conf["LOCATION"], {**conf, "KEY_PREFIX": CACHE_KEY_PREFIX}).delete(VERSION_KEY)


@pytest.fixture(autouse=True)
def catalog_cache(settings):
    """Tests share the real Redis: use a key prefix of this session's own and start from a fresh
    version (never ``cache.clear()``, which would flush everybody's database)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": CACHE_KEY_PREFIX}}
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
