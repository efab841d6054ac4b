"""Routes under /api/v1/messaging/messages/ (messaging/urls.py)."""

from django.urls import path

from messaging.chat.api.views import MessageDetailApi, MessageListApi, MessageSendApi
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=MessageListApi, post=MessageSendApi), name="chat-message-list"),
    path("<uuid:message_id>/", MessageDetailApi.as_view(), name="chat-message-detail"),
]
