"""The baseline of bench/catalog.py: the catalog service plus one plain Django view (no DRF)."""
