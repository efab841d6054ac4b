"""Money: ``Decimal`` everywhere, strings on the wire, ISO 4217 currency codes."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

# Amounts are stored with 4 decimal places (the contracts allow up to 4) so nothing a
# producer sends is rounded away; they are shown with at least 2 ("12.50", "0.1250").
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 4
CENTS = Decimal("0.01")
# The largest amount a money column holds (9999999999.9999): a price times a quantity, or an
# order's total, above it cannot be stored.
MAX_AMOUNT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) - Decimal(10) ** -MONEY_DECIMAL_PLACES
CURRENCY_PATTERN = r"^[A-Z]{3}$"


def money_str(amount: Decimal) -> str:
    """``Decimal("12.5000")`` → ``"12.50"``; keeps extra places only when they carry value."""
    amount = Decimal(amount)
    in_cents = amount.quantize(CENTS)
    if in_cents == amount:
        return f"{in_cents:f}"
    return f"{amount.normalize():f}"


class MoneyField(serializers.Field):
    """Read-only output of an amount as a string (never a float)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return money_str(value)


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """Tell drf-spectacular what MoneyField renders as."""

    target_class = "orders.money.MoneyField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "format": "decimal", "example": "12.50"}
