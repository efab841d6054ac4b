from django.urls import include, path

from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [
    path("api/v1/test/", include("tests.testapp.urls")),
    path("web/", include("tests.testapp.web")),
    *platform_urlpatterns(),
]
