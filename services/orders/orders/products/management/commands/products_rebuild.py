"""Rebuild the product read model from catalog's internal export (or a JSON file of rows).

    manage.py products_rebuild                       # from CATALOG_INTERNAL_URL
    manage.py products_rebuild --url http://catalog:8000/internal/products/export/
    manage.py products_rebuild --file products.json  # a JSON array, or one JSON object per line

The export is read completely before anything is written; then, in one transaction, every
exported product is upserted and those missing from it are marked deleted. Catalog events
that happen while this runs still win afterwards (they are newer than the export's start).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orders.products.export import ExportUnavailable, fetch_export
from orders.products.models import Product
from orders.products.services import products_rebuild


class Command(BaseCommand):
    help = "Rebuild orders' product read model from catalog's internal export or a file."

    def add_arguments(self, parser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--url", help="export URL (default: CATALOG_INTERNAL_URL + /internal/products/export/)"
        )
        source.add_argument("--file", type=Path, help="a JSON array of product rows, or JSON lines")
        parser.add_argument("--dry-run", action="store_true", help="read and check the rows, write nothing")
        parser.add_argument(
            "--allow-empty",
            action="store_true",
            help="accept an export with no products (it marks every product deleted)",
        )

    def handle(
        self,
        *args: Any,
        url: str | None,
        file: Path | None,
        dry_run: bool,
        allow_empty: bool = False,
        **options: Any,
    ) -> None:
        started_at = timezone.now()
        try:
            rows = _read_file(file) if file else list(fetch_export(url))
        except (ExportUnavailable, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"read {len(rows)} products")
        # An empty export from a misconfigured URL or an empty file would delete the whole
        # read model (and so every cart line): only on purpose.
        if not rows and not allow_empty and Product.objects.filter(deleted_at__isnull=True).exists():
            raise CommandError(
                "the export has no products, which would mark every product deleted; "
                "check the source, or pass --allow-empty if that is really what catalog holds"
            )
        if dry_run:
            self.stdout.write("dry run: nothing written")
            return
        try:
            result = products_rebuild(rows=rows, exported_at=started_at)
        except (KeyError, ValueError, TypeError, AttributeError, ValidationError) as exc:
            raise CommandError(f"a product row is malformed: {exc!r}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"rebuilt the read model: {result.upserted} upserted, {result.deleted} marked deleted"
            )
        )


def _read_file(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8").strip()
    rows = (
        json.loads(text)
        if text.startswith("[")
        else [json.loads(line) for line in text.splitlines() if line.strip()]
    )
    if not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"{path}: every product row must be a JSON object")
    return rows
