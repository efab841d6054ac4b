from django.urls import include, path

from analytics.usage.api.urls import my_usage_urlpatterns, usage_stats_urlpatterns
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [
    path("api/v1/analytics/api-logs/", include("analytics.requestlogs.api.urls")),
    path("api/v1/analytics/usage-stats/", include(usage_stats_urlpatterns)),
    path("api/v1/analytics/me/usage/", include(my_usage_urlpatterns)),
    path("api/v1/analytics/metrics/", include("analytics.metrics.api.urls")),
    # The dashboard's pages (server-rendered, signed in with identity's tokens in cookies).
    path("analytics/", include("analytics.dashboard.urls")),
    *platform_urlpatterns(),
]
