from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "builds.tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import builds.tokens.schema  # noqa: F401  (registers the OpenAPI security scheme)
