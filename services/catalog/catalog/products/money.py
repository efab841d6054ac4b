"""Money rules: ISO 4217 codes, each currency's minor units, Decimal only (never floats)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

# Active ISO 4217 codes and their minor units (the digits after the decimal point).
# Precious metals, testing and "no currency" codes (XAU, XTS, XXX …) are not prices.
_MINOR_UNITS_OTHER_THAN_TWO = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip
_TWO_MINOR_UNITS = [
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BOV",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHE",
    "CHF",
    "CHW",
    "CNY",
    "COP",
    "COU",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MXV",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "USN",
    "UYU",
    "UZS",
    "VED",
    "VES",
    "WST",
    "XCD",
    "XCG",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]

MINOR_UNITS: dict[str, int] = {**dict.fromkeys(_TWO_MINOR_UNITS, 2), **_MINOR_UNITS_OTHER_THAN_TWO}
MAX_AMOUNT = Decimal("9999999999.9999")  # numeric(14, 4)


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def validate_price(price: Decimal, currency: str) -> None:
    """Raise ``ValidationError`` (field errors) unless ``price`` is a valid amount in ``currency``."""
    if not is_currency(currency):
        raise ValidationError({"currency": [f"'{currency}' is not an ISO 4217 currency code."]})
    if not isinstance(price, Decimal) or not price.is_finite():
        raise ValidationError({"price": ['Enter a decimal amount as a string, e.g. "12.50".']})
    if price < 0:
        raise ValidationError({"price": ["The price cannot be negative."]})
    if price > MAX_AMOUNT:
        raise ValidationError({"price": [f"The price cannot exceed {MAX_AMOUNT}."]})
    exponent = price.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > MINOR_UNITS[currency]:
        raise ValidationError(
            {"price": [f"{currency} amounts have at most {MINOR_UNITS[currency]} decimal places."]}
        )


def normalize_amount(amount: Decimal) -> Decimal:
    """``amount`` without a sign on zero: ``Decimal("-0.00")`` is stored and shown as ``0.00``."""
    return amount.copy_abs() if isinstance(amount, Decimal) and amount.is_zero() else amount


def format_amount(amount: Decimal, currency: str) -> str:
    """The amount as a string with the currency's minor units: ``"12.50"``, ``"1200"`` (JPY)."""
    places = MINOR_UNITS.get(currency, 2)
    return str(normalize_amount(amount.quantize(Decimal(1).scaleb(-places))))
