"""Routes under /api/v1/messaging/notification-preferences/ (messaging/urls.py)."""

from django.urls import path

from messaging.notifications.api.views import PreferenceListApi, PreferenceUpdateApi
from servicekit.api import operations

urlpatterns = [
    path(
        "", operations(get=PreferenceListApi, patch=PreferenceUpdateApi), name="notifications-preference-list"
    ),
]
