from django.apps import AppConfig


class BuildsConfig(AppConfig):
    name = "builds.builds"
    # "builds" is the service package's own label.
    label = "build"
    default_auto_field = "django.db.models.BigAutoField"
