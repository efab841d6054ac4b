"""A plain Django view: the product list's queries and JSON, without DRF (and without auth).

It runs the same selector (count, page, images) and builds the same envelope, byte for
byte, as ``GET /api/v1/catalog/products/`` does for an anonymous caller or a customer.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from catalog.products.api.serializers import product_representation
from catalog.products.selectors import product_list


def _page_url(request: HttpRequest, number: int | None) -> str | None:
    if number is None:
        return None
    params = request.GET.copy()
    if number == 1:
        params.pop("page", None)
    else:
        params["page"] = str(number)
    query = urlencode(sorted(params.items()))
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def plain_product_list(request: HttpRequest) -> HttpResponse:
    page_size = min(int(request.GET.get("page_size", 20)), settings.SERVICEKIT["MAX_PAGE_SIZE"])
    paginator = Paginator(product_list(filters={}, principal=None), page_size)
    page = paginator.page(int(request.GET.get("page", 1)))
    body = {
        "data": [product_representation(product) for product in page.object_list],
        "meta": {
            "request_id": request.request_id,
            "pagination": {
                "page": page.number,
                "page_size": page_size,
                "count": paginator.count,
                "next": _page_url(request, page.next_page_number() if page.has_next() else None),
                "previous": _page_url(request, page.previous_page_number() if page.has_previous() else None),
            },
        },
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), content_type="application/json"
    )
