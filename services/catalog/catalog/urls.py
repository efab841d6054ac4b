from django.conf import settings
from django.urls import include, path

from catalog.products.api.urls import internal_urlpatterns as products_internal
from catalog.products.media import product_image_file
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

# One prefix per app: everything under it is routed by that app's api/urls.py.
urlpatterns = [
    path("api/v1/catalog/categories/", include("catalog.categories.api.urls")),
    path("api/v1/catalog/products/", include("catalog.products.api.urls")),
    path("api/v1/catalog/reviews/", include("catalog.reviews.api.urls")),
    path("api/v1/catalog/reservations/", include("catalog.inventory.api.urls")),
    # Between services only: the gateway answers /internal/ with 404 from the outside.
    path("internal/products/", include(products_internal)),
    path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", product_image_file, name="products-image-file"),
    *platform_urlpatterns(),
]
