from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "messaging.providers"
    label = "messaging_providers"
    default_auto_field = "django.db.models.BigAutoField"
