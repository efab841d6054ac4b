"""catalog's settings: servicekit's base (what every service shares) plus the catalog's own."""

from django.core.exceptions import ImproperlyConfigured

from servicekit.settings import with_server_settings
from servicekit.settings.base import *
from servicekit.settings.base import DATABASES, INSTALLED_APPS, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "catalog",
    "django.contrib.postgres",
    "catalog.categories",
    "catalog.products",
    "catalog.inventory",
    "catalog.reviews",
]

# The catalog's own knobs (documented in .env.example).
CATALOG = {
    # Read responses (product list/detail, categories) are cached in Redis and invalidated
    # by bumping a version key on every change; off is useful to measure or debug.
    "CACHE_ENABLED": env.bool("CATALOG_CACHE_ENABLED", default=True),
    "CACHE_SECONDS": env.int("CATALOG_CACHE_SECONDS", default=300),
    # Uploaded product images: sniffed types and a size cap.
    "MAX_IMAGE_BYTES": env.int("CATALOG_MAX_IMAGE_BYTES", default=5 * 1024 * 1024),
    "MAX_IMAGES_PER_PRODUCT": env.int("CATALOG_MAX_IMAGES_PER_PRODUCT", default=10),
    # Minimum pg_trgm word similarity for a typo-tolerant match on the product name.
    "SEARCH_TRIGRAM_THRESHOLD": env.float("CATALOG_SEARCH_TRIGRAM_THRESHOLD", default=0.4),
}
if not 0.0 <= CATALOG["SEARCH_TRIGRAM_THRESHOLD"] <= 1.0:
    raise ImproperlyConfigured("CATALOG_SEARCH_TRIGRAM_THRESHOLD must be between 0 and 1.")

# The search matches names with pg_trgm's word-similarity operator (``name %> search``), which
# the name's GIN trigram index serves; its threshold is the session setting
# pg_trgm.word_similarity_threshold (Postgres default: 0.6). Every connection starts with ours,
# as a libpq startup option: no extra query per search, and the index stays usable.
DATABASES = {
    "default": with_server_settings(
        DATABASES["default"],
        {"pg_trgm.word_similarity_threshold": CATALOG["SEARCH_TRIGRAM_THRESHOLD"]},
    )
}
