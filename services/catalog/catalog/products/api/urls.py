from django.urls import path

from catalog.api import operations
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

urlpatterns = [
    path("products/", operations(get=ProductListApi, post=ProductCreateApi), name="product-list"),
    path(
        "products/<uuid:product_id>/",
        operations(get=ProductDetailApi, patch=ProductUpdateApi, delete=ProductDeleteApi),
        name="product-detail",
    ),
    path("products/<uuid:product_id>/images/", ProductImageCreateApi.as_view(), name="product-images"),
    path(
        "products/<uuid:product_id>/images/<uuid:image_id>/",
        ProductImageDeleteApi.as_view(),
        name="product-image-detail",
    ),
]

# Mounted under /internal/ (between services only; the gateway answers it with 404).
internal_urlpatterns = [
    path("products/export/", ProductExportApi.as_view(), name="internal-product-export"),
]
