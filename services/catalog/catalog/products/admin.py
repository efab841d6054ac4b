from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from catalog.limits import MAX_INT
from catalog.products.images import ALLOWED_CONTENT_TYPES, validate_image_upload
from catalog.products.models import SKU_PATTERN, Product, ProductImage
from catalog.products.services import (
    UPDATABLE_FIELDS,
    product_delete,
    product_image_add,
    product_image_delete,
    product_update,
    validate_attributes,
)
from servicekit.admin import ServiceModelAdmin, amount_column, form_errors_from
from servicekit.money import validate_amount


class ProductAdminForm(forms.ModelForm):
    """The API's rules for the fields staff may change here; the service checks them again."""

    sku = forms.RegexField(
        SKU_PATTERN,
        max_length=64,
        error_messages={"invalid": "Letters, digits, '.', '_' and '-'; at most 64."},
    )

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "slug",
            "description",
            "price",
            "currency",
            "is_active",
            "category",
            "attributes",
        ]

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()

    def clean(self):
        data = super().clean()
        try:
            if data.get("price") is not None and data.get("currency"):
                validate_amount(data["price"], data["currency"], field="price")
            if "attributes" in data:
                validate_attributes(data["attributes"])
        except ValidationError as error:
            raise form_errors_from(error, self.fields) from None
        return data


class ProductImageInline(admin.TabularInline):
    """The product's images: shown, and removable (through ``product_image_delete``)."""

    model = ProductImage
    extra = 0
    fields = ["file", "url", "alt_text", "position", "content_type", "size"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # ProductImageAddInline adds, through the service

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ProductImageAddForm(forms.ModelForm):
    """A new image: an uploaded file (type sniffed from its bytes, size capped) or a URL."""

    url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    position = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_INT, help_text="Empty: after the existing images."
    )

    class Meta:
        model = ProductImage
        fields = ["file", "url", "alt_text", "position"]
        help_texts = {"file": f"One of {', '.join(ALLOWED_CONTENT_TYPES)}; size capped."}

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            raise ValidationError("Upload an image file or give an image URL (one of the two).")
        if data.get("file"):
            try:
                validate_image_upload(data["file"])
            except ValidationError as error:
                raise form_errors_from(error, self.fields) from None
        return data


class ProductImageAddInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageAddForm
    extra = 1
    verbose_name_plural = "add images"
    fields = ["file", "url", "alt_text", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(ServiceModelAdmin):
    """Every change goes through the product services (events, cache, invariants).

    Products are created through the API (they belong to the vendor who creates them); stock
    changes through stock adjustments (the audit trail) and the checkout saga, so the counters
    are read-only here; deleting refuses a product with reserved stock.
    """

    form = ProductAdminForm
    list_display = [
        "sku",
        "name",
        amount_column("price"),
        "currency",
        "stock_on_hand",
        "reserved",
        "is_active",
        "vendor_id",
    ]
    list_filter = ["is_active", "currency", "category"]
    search_fields = ["sku", "name"]
    list_select_related = ["category"]
    readonly_fields = [
        "id", "stock_on_hand", "reserved", "rating_average", "rating_count", "vendor_id", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ProductImageInline, ProductImageAddInline]
    actions = ["activate", "deactivate"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in UPDATABLE_FIELDS}
        if "category" in data:
            data["category"] = data["category"].pk if data["category"] else None
        product_update(product=obj, data=data)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not ProductImage:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # writes nothing: collects new/deleted objects for the history
        for image in formset.deleted_objects:
            product_image_delete(image=image)
        for image_form in formset.extra_forms:
            if image_form.has_changed() and image_form not in formset.deleted_forms:
                data = image_form.cleaned_data
                product_image_add(
                    product=form.instance,
                    file=data.get("file") or None,
                    url=data.get("url") or "",
                    alt_text=data.get("alt_text") or "",
                    position=data.get("position"),
                )

    def delete_through_service(self, request, obj) -> None:
        product_delete(product=obj)

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset) -> None:
        self.apply_to_each(
            request,
            queryset,
            lambda product: product_update(product=product, data={"is_active": True}),
            done="Activated",
        )

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset) -> None:
        self.apply_to_each(
            request,
            queryset,
            lambda product: product_update(product=product, data={"is_active": False}),
            done="Deactivated",
        )
