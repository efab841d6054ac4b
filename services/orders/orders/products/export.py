"""Reading catalog's internal product export (for rebuilding the read model, never per request).

``GET {CATALOG_INTERNAL_URL}/internal/products/export/`` with ``X-Internal-Token``, answered
with the list envelope: ``{"data": [<product rows as in catalog.product.* events>],
"meta": {"pagination": {"next": <url or null>}}}``; ``next`` links are followed to the end.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from django.conf import settings

EXPORT_PATH = "/internal/products/export/"
PAGE_SIZE = 500
MAX_PAGE_BYTES = 32 * 1024 * 1024


class ExportUnavailable(RuntimeError):
    pass


def export_url() -> str:
    return settings.ORDERS["CATALOG_INTERNAL_URL"].rstrip("/") + f"{EXPORT_PATH}?page_size={PAGE_SIZE}"


def fetch_export(url: str | None = None, *, timeout: float = 30.0) -> Iterator[dict[str, Any]]:
    """Every product row of the export, page after page; raises :class:`ExportUnavailable`."""
    next_url: str | None = url or export_url()
    pages = 0
    while next_url:
        body = _get(next_url, timeout)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ExportUnavailable(f"{next_url} did not answer with a list envelope")
        if not all(isinstance(row, dict) for row in body["data"]):
            raise ExportUnavailable(f"{next_url} answered product rows that are not objects")
        yield from body["data"]
        next_url = _next_link(body, next_url)
        pages += 1
        if pages > 100_000:
            raise ExportUnavailable("the export does not end")


def _next_link(body: dict[str, Any], url: str) -> str | None:
    """``meta.pagination.next``; absent or null on the last page.

    Anything else is an error: read as "the last page", it would mark every product on the
    pages after it deleted.
    """
    meta = body.get("meta") or {}
    pagination = meta.get("pagination") or {} if isinstance(meta, dict) else None
    if not isinstance(pagination, dict) or not isinstance(pagination.get("next"), str | None):
        raise ExportUnavailable(f"{url} answered an envelope without a readable next-page link")
    return pagination.get("next") or None


def _get(url: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        headers={"Accept": "application/json", "X-Internal-Token": settings.SERVICEKIT["INTERNAL_API_TOKEN"]},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read(MAX_PAGE_BYTES))
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
        raise ExportUnavailable(f"cannot read {url}: {exc}") from exc
