"""Routes under /api/v1/messaging/webhooks/ (messaging/urls.py)."""

from django.urls import path

from messaging.webhooks.api.views import WebhookReceiveApi

urlpatterns = [
    path("<slug:provider>/", WebhookReceiveApi.as_view(), name="webhooks-receive"),
]
