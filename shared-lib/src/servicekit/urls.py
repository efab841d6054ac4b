"""URL patterns every service mounts: health, metrics, OpenAPI and its admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.views import SpectacularAPIView

from servicekit.health import healthz, metrics_view, readyz

# Django-level error views answer with the envelope too (set in each service's urls.py).
handler400 = "servicekit.envelope.views.bad_request"
handler403 = "servicekit.envelope.views.permission_denied"
handler404 = "servicekit.envelope.views.not_found"
handler500 = "servicekit.envelope.views.server_error"


def platform_urlpatterns() -> list[URLPattern | URLResolver]:
    service = settings.SERVICE_NAME
    return [
        path("healthz", healthz, name="healthz"),
        path("readyz", readyz, name="readyz"),
        path("metrics", metrics_view, name="metrics"),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path(f"admin/{service}/", admin.site.urls),
    ]
