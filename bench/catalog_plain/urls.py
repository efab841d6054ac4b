from django.urls import path

from catalog.urls import urlpatterns as catalog_urlpatterns
from catalog_plain.views import plain_product_list

urlpatterns = [
    path("bench/plain/products/", plain_product_list),
    *catalog_urlpatterns,
]
