from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "messaging.webhooks"
    label = "messaging_webhooks"
    default_auto_field = "django.db.models.BigAutoField"
