from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "orders.products"
    default_auto_field = "django.db.models.BigAutoField"
