from django.apps import AppConfig


class ServicekitConfig(AppConfig):
    name = "servicekit"
    verbose_name = "Service kit"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import pre_migrate

        from servicekit.db import ensure_service_schema

        if settings.SERVICEKIT["QUICK_EXIT"]:
            from servicekit.shutdown import install_quick_exit

            install_quick_exit()

        pre_migrate.connect(ensure_service_schema, dispatch_uid="servicekit.ensure_schema")
        # Registers the Bearer/ApiKey schemes with drf-spectacular (needs settings, so not at import).
        import servicekit.auth.schema  # noqa: F401
