from django.urls import include, path

from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [
    path("api/v1/cart/", include("orders.carts.api.urls")),
    path("api/v1/orders/", include("orders.ordering.api.urls")),
    path("api/v1/payments/", include("orders.payments.api.urls")),
    *platform_urlpatterns(),
]
