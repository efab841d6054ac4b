from django.urls import include, path

from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

# One prefix per app: everything under it is routed by that app's api/urls.py.
urlpatterns = [
    path("api/v1/messaging/sessions/", include("messaging.sessions.api.urls")),
    path("api/v1/messaging/messages/", include("messaging.chat.api.urls")),
    path("api/v1/messaging/quotas/", include("messaging.quotas.api.urls")),
    path("api/v1/messaging/notification-preferences/", include("messaging.notifications.api.urls")),
    path("api/v1/messaging/webhooks/", include("messaging.webhooks.api.urls")),
    # The pages identity's e-mailed links lead to (server-rendered, through the gateway).
    path("account/", include("messaging.links.urls")),
    *platform_urlpatterns(),
]
