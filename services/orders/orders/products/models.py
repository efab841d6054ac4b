"""orders' own copy of what it needs about catalog's products (the product read model).

Fed by catalog's ``catalog.product.*`` events (see ``orders/handlers.py``); rebuilt from
catalog's internal export with ``manage.py products_rebuild``. Never written by an API.
"""

from django.db import models
from django.db.models import Q

from servicekit.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


class Product(models.Model):
    # catalog's product id: the same UUID on both sides.
    id = models.UUIDField(primary_key=True)
    sku = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255)
    price = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # When catalog made the change we hold (event occurred_at, or the export's time):
    # an older event arriving late never overwrites a newer state.
    source_changed_at = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="product_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_purchasable(self) -> bool:
        return self.is_active and self.deleted_at is None
