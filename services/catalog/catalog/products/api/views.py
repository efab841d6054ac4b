"""Product APIs: one class per operation, thin (validate → service/selector → serialize)."""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.cache import audience_of, cached
from catalog.categories.selectors import category_get_by_id_or_slug
from catalog.inventory.services import product_create_with_stock
from catalog.limits import MAX_INT
from catalog.products.api.serializers import (
    AmountField,
    ProductImageOutputSerializer,
    ProductOutputSerializer,
    product_export_row,
)
from catalog.products.errors import ProductErrorCode
from catalog.products.images import ALLOWED_CONTENT_TYPES
from catalog.products.models import SKU_PATTERN
from catalog.products.selectors import (
    ORDERINGS,
    product_export,
    product_get_manageable,
    product_get_visible,
    product_image_get,
    product_list,
)
from catalog.products.services import (
    product_delete,
    product_image_add,
    product_image_delete,
    product_update,
)
from servicekit.api import InternalApi, JSONBooleanField, enveloped, paginated_payload
from servicekit.auth.permissions import HasRole, principal_of
from servicekit.envelope.parsers import UPLOAD_PARSERS
from servicekit.openapi import error_codes
from servicekit.params import present_params

CanManageProducts = HasRole("staff", "admin", "vendor")


class ProductListApi(APIView):
    """Visible products, filtered, searched, ordered and paginated.

    A parameter sent empty (``?category=&min_price=``) is the same as one left out.
    ``min_price``/``max_price`` compare amounts only: they do not convert between currencies,
    so send ``currency`` with them to compare like with like.
    """

    api_key_scope = "catalog:read"
    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=200)
        category = serializers.CharField(
            required=False, help_text="Category id or slug; includes its descendants."
        )
        min_price = AmountField(
            required=False,
            min_value=0,
            help_text="Lowest price, as a plain amount in any currency (no conversion): "
            "combine with `currency` to compare like with like.",
        )
        max_price = AmountField(
            required=False,
            min_value=0,
            help_text="Highest price, as a plain amount in any currency (no conversion): "
            "combine with `currency` to compare like with like.",
        )
        in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)
        vendor = serializers.CharField(required=False, max_length=64)
        is_active = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="Staff (and vendors, for their own)."
        )
        currency = serializers.RegexField(
            r"^[A-Z]{3}$", required=False, help_text="ISO 4217 code: only products priced in it."
        )
        ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False)

        def validate_category(self, value: str):
            category = category_get_by_id_or_slug(value=value)
            if category is None:
                raise serializers.ValidationError("Unknown category.")
            return category

        def validate(self, attrs):
            low, high = attrs.get("min_price"), attrs.get("max_price")
            if low is not None and high is not None and low > high:
                raise serializers.ValidationError({"max_price": ["Must not be below min_price."]})
            return attrs

    OutputSerializer = ProductOutputSerializer

    @extend_schema(
        description=(
            "Visible products, filtered, searched (full text, typo-tolerant on the name, exact SKU) "
            "and ordered. A parameter sent empty (`?category=&min_price=`) is the same as one left out. "
            "`min_price`/`max_price` compare plain amounts and never convert between currencies: send "
            "`currency` with them to compare like with like."
        ),
        parameters=[
            FilterSerializer,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="Capped by the server."),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        principal = principal_of(request)

        def page() -> dict:
            filters = self.FilterSerializer(data=present_params(request))
            filters.is_valid(raise_exception=True)
            products = product_list(filters=filters.validated_data, principal=principal)
            return paginated_payload(
                queryset=products,
                request=request,
                view=self,
                serialize=lambda rows: self.OutputSerializer(rows, many=True).data,
            )

        payload = cached(audience=audience_of(principal), url=request.build_absolute_uri(), compute=page)
        return enveloped(payload)


class ProductCreateApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [CanManageProducts]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProductCreateInput"

        sku = serializers.RegexField(
            SKU_PATTERN, error_messages={"invalid": "Letters, digits, '.', '_' and '-'; at most 64."}
        )
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=220, required=False, allow_blank=True)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        price = AmountField()
        currency = serializers.CharField(min_length=3, max_length=3)
        stock = serializers.IntegerField(min_value=0, max_value=MAX_INT, default=0)
        category = serializers.UUIDField(required=False, allow_null=True, default=None)
        is_active = JSONBooleanField(default=True)
        attributes = serializers.JSONField(required=False, default=dict)

    OutputSerializer = ProductOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        product = product_create_with_stock(
            vendor_id=request.user.id,
            sku=data["sku"],
            name=data["name"],
            slug=data.get("slug") or None,
            description=data["description"],
            price=data["price"],
            currency=data["currency"],
            stock=data["stock"],
            category_id=data["category"],
            is_active=data["is_active"],
            attributes=data["attributes"],
        )
        return Response(self.OutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    api_key_scope = "catalog:read"
    permission_classes = [AllowAny]

    OutputSerializer = ProductOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, product_id: str) -> Response:
        principal = principal_of(request)

        def detail() -> dict:
            product = product_get_visible(product_id=product_id, principal=principal)
            return {"data": self.OutputSerializer(product).data}

        payload = cached(audience=audience_of(principal), url=request.build_absolute_uri(), compute=detail)
        return enveloped(payload)


class ProductUpdateApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [CanManageProducts]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProductUpdateInput"

        sku = serializers.RegexField(SKU_PATTERN, required=False)
        name = serializers.CharField(max_length=200, required=False)
        slug = serializers.SlugField(max_length=220, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        price = AmountField(required=False)
        currency = serializers.CharField(min_length=3, max_length=3, required=False)
        category = serializers.UUIDField(required=False, allow_null=True)
        is_active = JSONBooleanField(required=False)
        attributes = serializers.JSONField(required=False)

        def validate(self, attrs):
            for field in ("stock", "reserved", "available"):
                if field in self.initial_data:
                    raise serializers.ValidationError(
                        {field: ["Stock changes go through POST …/stock-adjustments/ with a reason."]}
                    )
            return attrs

    OutputSerializer = ProductOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, product_id: str) -> Response:
        product = product_get_manageable(product_id=product_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        product = product_update(product=product, data=serializer.validated_data)
        product = product_get_visible(product_id=product.pk, principal=request.user)
        return Response(self.OutputSerializer(product).data)


class ProductDeleteApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [CanManageProducts]

    @extend_schema(responses={204: None})
    @error_codes({409: [ProductErrorCode.HAS_RESERVATIONS]})
    def delete(self, request: Request, product_id: str) -> Response:
        product = product_get_manageable(product_id=product_id, principal=request.user)
        product_delete(product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductImageCreateApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [CanManageProducts]
    # a file by multipart, or a url by JSON (servicekit's parser: its limits hold)
    parser_classes = UPLOAD_PARSERS

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProductImageCreateInput"

        file = serializers.FileField(
            required=False, help_text=f"One of {', '.join(ALLOWED_CONTENT_TYPES)}; size capped."
        )
        url = serializers.URLField(required=False, max_length=500)
        alt_text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
        position = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT)

    OutputSerializer = ProductImageOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, product_id: str) -> Response:
        product = product_get_manageable(product_id=product_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        image = product_image_add(
            product=product,
            file=data.get("file"),
            url=data.get("url", ""),
            alt_text=data["alt_text"],
            position=data.get("position"),
        )
        return Response(self.OutputSerializer(image).data, status=status.HTTP_201_CREATED)


class ProductImageDeleteApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [CanManageProducts]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, product_id: str, image_id: str) -> Response:
        product = product_get_manageable(product_id=product_id, principal=request.user)
        image = product_image_get(product=product, image_id=image_id)
        product_image_delete(image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductExportApi(InternalApi):
    """``GET /internal/products/export/?after=<id>&page_size=N``: every product, inactive ones
    too, ordered by id, in keyset pages (one query each; a product deleted or created during
    the read never shifts a row out of the pages). For services rebuilding a read model of
    the catalog (orders' ``products_rebuild``), which follow ``meta.pagination.next``.
    """

    class FilterSerializer(serializers.Serializer):
        after = serializers.UUIDField(required=False)
        page_size = serializers.IntegerField(min_value=1, default=500)

    MAX_PAGE_SIZE = 1000

    @extend_schema(exclude=True)  # internal: not part of the public API documentation
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=present_params(request))
        filters.is_valid(raise_exception=True)
        size = min(filters.validated_data["page_size"], self.MAX_PAGE_SIZE)
        products = list(product_export(after=filters.validated_data.get("after"))[: size + 1])
        page, has_more = products[:size], len(products) > size
        next_url = None
        if has_more:
            query = urlencode({"after": str(page[-1].pk), "page_size": size})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        pagination = {"page_size": size, "next": next_url, "previous": None}
        return enveloped({"data": [product_export_row(p) for p in page], "meta": {"pagination": pagination}})
