from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "messaging.notifications"
    label = "messaging_notifications"
    default_auto_field = "django.db.models.BigAutoField"
