"""Routes under /api/v1/messaging/sessions/ (messaging/urls.py)."""

from django.urls import path

from messaging.sessions.api import views
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=views.SessionListApi, post=views.SessionStartApi), name="sessions-session-list"),
    path("<uuid:session_id>/", views.SessionDetailApi.as_view(), name="sessions-session-detail"),
    path("<uuid:session_id>/qr/", views.SessionQrApi.as_view(), name="sessions-session-qr"),
    path("<uuid:session_id>/qr/png/", views.SessionQrPngApi.as_view(), name="sessions-session-qr-png"),
    path("<uuid:session_id>/qr/svg/", views.SessionQrSvgApi.as_view(), name="sessions-session-qr-svg"),
    path("<uuid:session_id>/scan/", views.SessionScanApi.as_view(), name="sessions-session-scan"),
    path("<uuid:session_id>/stop/", views.SessionStopApi.as_view(), name="sessions-session-stop"),
    path("<uuid:session_id>/logout/", views.SessionLogoutApi.as_view(), name="sessions-session-logout"),
    path("<uuid:session_id>/probe/", views.SessionProbeStartApi.as_view(), name="sessions-session-probe"),
    path(
        "<uuid:session_id>/probe/<uuid:probe_id>/",
        views.SessionProbeDetailApi.as_view(),
        name="sessions-session-probe-detail",
    ),
]
