from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "analytics.events"
    label = "analytics_events"  # "events" alone is too likely to meet another app's label
    default_auto_field = "django.db.models.BigAutoField"
