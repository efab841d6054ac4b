"""Money: ISO 4217 currencies, amounts as ``Decimal`` (never floats) and one string per amount.

The canonical string of an amount has exactly its currency's minor units, in every API
response and event of every service: USD ``"12.50"``, JPY ``"1200"``, BHD ``"1.250"``.
Amounts are stored as ``numeric(14, 4)`` (:data:`AMOUNT_MAX_DIGITS`, :data:`AMOUNT_DECIMAL_PLACES`):
four places hold the currencies with the most minor units (CLF, UYW).
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_attribute

# Active ISO 4217 codes and their minor units (the digits after the decimal point).
# Precious metals, testing and "no currency" codes (XAU, XTS, XXX …) are not prices.
_TWO_MINOR_UNITS = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
    "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
    "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
    "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR",
    "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS",
    "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS",
    "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
]  # fmt: skip
_MINOR_UNITS_OTHER_THAN_TWO = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip
MINOR_UNITS: dict[str, int] = {**dict.fromkeys(_TWO_MINOR_UNITS, 2), **_MINOR_UNITS_OTHER_THAN_TWO}

AMOUNT_MAX_DIGITS = 14
AMOUNT_DECIMAL_PLACES = 4
MAX_AMOUNT = (
    Decimal(10) ** (AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES) - Decimal(10) ** -AMOUNT_DECIMAL_PLACES
)

# Plain decimal notation only: no exponent, sign "+", spaces, "NaN" or "Infinity".
_AMOUNT_TEXT = re.compile(r"-?\d{1,32}(\.\d{1,32})?")
NOT_AN_AMOUNT = 'Enter a decimal amount as a string, e.g. "12.50".'


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(currency: str) -> int:
    """How many digits ``currency`` has after the decimal point; ``ValueError`` if it is not one."""
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code") from None


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def max_amount(currency: str) -> Decimal:
    """The largest amount in ``currency`` a money column holds (``9999999999.99`` for USD)."""
    return MAX_AMOUNT.quantize(_quantum(currency), rounding=ROUND_DOWN)


def validate_amount(amount: Decimal, currency: str, *, field: str = "amount") -> None:
    """Raise ``ValidationError`` (errors by field: ``currency`` or ``field``) unless ``amount``
    is a valid amount in ``currency``: finite, not negative, storable, and with no more
    decimal places than the currency has minor units."""
    if not is_currency(currency):
        raise ValidationError({"currency": [f"'{currency}' is not an ISO 4217 currency code."]})
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError({field: [NOT_AN_AMOUNT]})
    if amount < 0:
        raise ValidationError({field: [f"The {field} cannot be negative."]})
    if amount > max_amount(currency):
        raise ValidationError({field: [f"The {field} cannot exceed {max_amount(currency)}."]})
    if amount != amount.quantize(_quantum(currency), rounding=ROUND_DOWN):
        raise ValidationError(
            {field: [f"{currency} amounts have at most {minor_units(currency)} decimal places."]}
        )


def parse_amount(text: Any, currency: str, *, field: str = "amount") -> Decimal:
    """The ``Decimal`` a decimal string stands for, validated as :func:`validate_amount` does
    (``"1200"`` JPY, ``"1.250"`` or ``"1.25"`` BHD); anything else is a ``ValidationError``."""
    if not isinstance(text, str) or not _AMOUNT_TEXT.fullmatch(text):
        raise ValidationError({field: [NOT_AN_AMOUNT]})
    amount = Decimal(text)
    validate_amount(amount, currency, field=field)
    return normalize_amount(amount)


def normalize_amount(amount: Decimal) -> Decimal:
    """``amount`` without a sign on zero: ``Decimal("-0.00")`` is stored and shown as ``0.00``."""
    return amount.copy_abs() if amount.is_zero() else amount


def format_amount(amount: Decimal, currency: str) -> str:
    """The canonical string: exactly the currency's minor units (``"12.50"``, ``"1200"``,
    ``"1.250"``). Money is never rounded: an amount with more places than the currency has
    is a ``ValueError``, as is an unknown currency."""
    exact = Decimal(amount).quantize(_quantum(currency))
    if exact != amount:
        raise ValueError(f"{amount} has more decimal places than {currency} has minor units")
    return f"{normalize_amount(exact):f}"


@extend_schema_field({"type": "string", "format": "decimal", "example": "12.50"})
class MoneyField(serializers.Field):
    """Read-only: an amount as its canonical string (:func:`format_amount`), in the currency
    that ``currency`` names: a dotted path from the object serialized (``"order.currency"``)."""

    def __init__(self, *, currency: str = "currency", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.currency_attrs = currency.split(".")

    def get_attribute(self, instance: Any) -> tuple[Decimal, str]:
        return super().get_attribute(instance), get_attribute(instance, self.currency_attrs)  # type: ignore[return-value]

    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        return format_amount(amount, currency)
