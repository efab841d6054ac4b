from pathlib import Path

import environ

from servicekit.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

# All settings come from the environment through servicekit (see .env.example).
globals().update(
    service_settings(
        "catalog",
        base_dir=BASE_DIR,
        apps=[
            "django.contrib.postgres",
            "catalog.categories",
            "catalog.products",
            "catalog.inventory",
            "catalog.reviews",
        ],
    )
)

_env = environ.Env()

# The catalog's own knobs (documented in .env.example).
CATALOG = {
    # Read responses (product list/detail, categories) are cached in Redis and invalidated
    # by bumping a version key on every change; off is useful to measure or debug.
    "CACHE_ENABLED": _env.bool("CATALOG_CACHE_ENABLED", default=True),
    "CACHE_SECONDS": _env.int("CATALOG_CACHE_SECONDS", default=300),
    # Uploaded product images: sniffed types and a size cap.
    "MAX_IMAGE_BYTES": _env.int("CATALOG_MAX_IMAGE_BYTES", default=5 * 1024 * 1024),
    "MAX_IMAGES_PER_PRODUCT": _env.int("CATALOG_MAX_IMAGES_PER_PRODUCT", default=10),
    # Minimum pg_trgm word similarity for a typo-tolerant match on the product name.
    "SEARCH_TRIGRAM_THRESHOLD": _env.float("CATALOG_SEARCH_TRIGRAM_THRESHOLD", default=0.4),
}
