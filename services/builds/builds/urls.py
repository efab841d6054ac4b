from django.urls import include, path

from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [
    *platform_urlpatterns(),
    path("builds/", include("builds.console.urls")),
]
