from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "messaging.chat"
    label = "messaging_chat"
    default_auto_field = "django.db.models.BigAutoField"
