"""Serving uploaded product images from MEDIA_ROOT (the gateway routes ``/media/catalog/`` here)."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_safe
from django.views.static import serve

from catalog.products.images import EXTENSIONS
from servicekit.envelope.views import not_found

# Uploads are stored under fresh UUID names, so the file behind a URL never changes.
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_EXTENSIONS = frozenset(EXTENSIONS.values())


@require_safe
def product_image_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """An uploaded product image. Only the image types uploads are stored as; anything else,
    a missing file or a path outside MEDIA_ROOT is the 404 envelope."""
    if PurePosixPath(path).suffix.lstrip(".") not in MEDIA_EXTENSIONS:
        return not_found(request)
    try:
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    except (Http404, SuspiciousFileOperation):
        return not_found(request)
    response["Cache-Control"] = MEDIA_CACHE_CONTROL
    return response
