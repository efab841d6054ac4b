"""Routes under /api/v1/catalog/products/, a product's stock adjustments and reviews included,
and under /internal/products/ (catalog/urls.py)."""

from django.urls import path

from catalog.products.api.review_views import ProductReviewListApi, ReviewCreateApi
from catalog.products.api.stock_views import StockAdjustmentCreateApi, StockAdjustmentListApi
from catalog.products.api.views import (
    ProductCreateApi,
    ProductDeleteApi,
    ProductDetailApi,
    ProductExportApi,
    ProductImageCreateApi,
    ProductImageDeleteApi,
    ProductListApi,
    ProductUpdateApi,
)
from servicekit.api import operations

urlpatterns = [
    path("", operations(get=ProductListApi, post=ProductCreateApi), name="products-product-list"),
    path(
        "<uuid:product_id>/",
        operations(get=ProductDetailApi, patch=ProductUpdateApi, delete=ProductDeleteApi),
        name="products-product-detail",
    ),
    path("<uuid:product_id>/images/", ProductImageCreateApi.as_view(), name="products-product-image-list"),
    path(
        "<uuid:product_id>/images/<uuid:image_id>/",
        ProductImageDeleteApi.as_view(),
        name="products-product-image-detail",
    ),
    path(
        "<uuid:product_id>/stock-adjustments/",
        operations(get=StockAdjustmentListApi, post=StockAdjustmentCreateApi),
        name="products-stock-adjustment-list",
    ),
    path(
        "<uuid:product_id>/reviews/",
        operations(get=ProductReviewListApi, post=ReviewCreateApi),
        name="products-review-list",
    ),
]

# Between services only: the gateway answers /internal/ with 404 from the outside.
internal_urlpatterns = [
    path("export/", ProductExportApi.as_view(), name="internal-products-product-export"),
]
