"""Unique slugs derived from names."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.text import slugify


def unique_slug(model: type[Model], text: str, *, exclude_pk: Any = None, max_length: int = 140) -> str:
    """``slugify(text)``, suffixed ``-2``, ``-3``… until no other row of ``model`` has it."""
    base = (slugify(text) or "item")[: max_length - 8].strip("-") or "item"
    taken = set(
        model._default_manager.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"
