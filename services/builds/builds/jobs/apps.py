from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "builds.jobs"
    default_auto_field = "django.db.models.BigAutoField"
