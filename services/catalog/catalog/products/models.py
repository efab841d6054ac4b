import uuid

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Upper

from servicekit.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS

# What a SKU may look like (the API and the admin accept only this).
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Product(models.Model):
    """A sellable item. Money is a Decimal plus an ISO 4217 code; stock is two counters.

    ``available = stock_on_hand - reserved``; the database refuses negative counters and
    ``reserved > stock_on_hand``, so no code path can oversell.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    stock_on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    vendor_id = models.CharField(max_length=64, db_index=True)  # the principal that created it
    category = models.ForeignKey(
        "categories.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    attributes = models.JSONField(default=dict, blank=True)
    # Kept consistent with the visible reviews by catalog.reviews.services.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("name", weight="A", config="english")
            + SearchVector("sku", weight="A", config="simple")
            + SearchVector("description", weight="B", config="english")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                Upper("sku"), name="product_sku_unique", violation_error_message="SKU already exists."
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="product_currency_iso_4217"
            ),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("stock_on_hand")),
                name="product_reserved_within_stock",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="product_search_vector"),
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="product_name_trigram"),
            models.Index(fields=["price"], name="product_price"),
            models.Index(fields=["category", "is_active"], name="product_category_active"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def available(self) -> int:
        return self.stock_on_hand - self.reserved


class ProductImage(models.Model):
    """An uploaded file (type and size checked on upload) or an external URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="products/%Y/%m/", blank=True, max_length=300)
    url = models.URLField(max_length=500, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url="")) | (~models.Q(file="") & models.Q(url="")),
                name="product_image_file_xor_url",
            ),
        ]

    def __str__(self) -> str:
        return self.file.name or self.url
