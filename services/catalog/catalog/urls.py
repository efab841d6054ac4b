from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.static import serve

from catalog.products.api.urls import internal_urlpatterns as products_internal
from catalog.products.images import EXTENSIONS
from servicekit.envelope.views import not_found
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

API_PREFIX = "api/v1/catalog/"
# Uploads are stored under fresh UUID names, so the file behind a URL never changes.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_EXTENSIONS = frozenset(EXTENSIONS.values())


@require_safe
def media(request, path):
    """An uploaded product image from MEDIA_ROOT (the gateway routes ``/media/catalog/`` here).

    Only the image types uploads are stored as; anything else, a missing file or a path
    outside MEDIA_ROOT is the 404 envelope."""
    if PurePosixPath(path).suffix.lstrip(".") not in MEDIA_EXTENSIONS:
        return not_found(request)
    try:
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    except (Http404, SuspiciousFileOperation):
        return not_found(request)
    response["Cache-Control"] = MEDIA_CACHE_CONTROL
    return response


urlpatterns = [
    path(API_PREFIX, include("catalog.categories.api.urls")),
    path(API_PREFIX, include("catalog.products.api.urls")),
    path(API_PREFIX, include("catalog.inventory.api.urls")),
    path(API_PREFIX, include("catalog.reviews.api.urls")),
    # Between services only: the gateway answers /internal/ with 404 from the outside.
    path("internal/", include(products_internal)),
    path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", media, name="media"),
    *platform_urlpatterns(),
]
