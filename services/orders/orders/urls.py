from django.urls import include, path

from orders.payments.challenge import three_d_secure_page
from servicekit.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [
    path("api/v1/cart/", include("orders.carts.api.urls")),
    path("api/v1/orders/", include("orders.ordering.api.urls")),
    path("api/v1/payments/", include("orders.payments.api.urls")),
    # The test payment provider's 3-D Secure page (server-rendered, through the gateway).
    path("payments/3ds/<str:provider_payment_id>/", three_d_secure_page, name="payments-three-d-secure"),
    *platform_urlpatterns(),
]
