from django.apps import AppConfig


class CategoriesConfig(AppConfig):
    name = "catalog.categories"
    label = "categories"
    default_auto_field = "django.db.models.BigAutoField"
