from django.urls import include, path

from builds.protocol.urls import internal_urlpatterns as protocol_internal
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

# One prefix per app: everything under it is routed by that app's api/urls.py. The
# flat-manager protocol (its own URL space, its own error shape) is builds.protocol's.
urlpatterns = [
    path("api/v1/builds/repos/", include("builds.repos.api.urls")),
    path("api/v1/builds/tokens/", include("builds.tokens.api.urls")),
    path("api/v1/builds/builds/", include("builds.builds.api.urls")),
    path("api/v1/builds/jobs/", include("builds.jobs.api.urls")),
    path("flat-manager/", include("builds.protocol.urls")),
    # The gateway's auth_request subrequests (downloads, uploads); never routed from outside.
    path("internal/builds/", include(protocol_internal)),
    # The web console's pages (server-rendered, signed in with identity's tokens in cookies).
    path("builds/", include("builds.console.urls")),
    *platform_urlpatterns(),
]
