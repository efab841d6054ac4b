from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "messaging.sessions"
    label = "messaging_sessions"
    default_auto_field = "django.db.models.BigAutoField"
