"""servicekit.money: one string per amount (the currency's minor units), strict parsing, bounds."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from servicekit.money import (
    MAX_AMOUNT,
    MoneyField,
    format_amount,
    is_currency,
    max_amount,
    minor_units,
    parse_amount,
    validate_amount,
)


def errors_of(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("BHD", 3), ("KWD", 3), ("CLF", 4)],
)
def test_minor_units_follow_iso_4217(currency, digits):
    assert minor_units(currency) == digits and is_currency(currency)


@pytest.mark.parametrize("code", ["XXX", "XAU", "XTS", "usd", "US", "", None])
def test_codes_that_are_not_prices_are_unknown(code):
    assert not is_currency(code)
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        minor_units(code)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1200"), "JPY", "1200"),
        (Decimal("1200.0000"), "JPY", "1200"),  # as a numeric(14, 4) column gives it back
        (Decimal("1.25"), "BHD", "1.250"),
        (Decimal("1.2500"), "BHD", "1.250"),
        (Decimal("12.5"), "USD", "12.50"),
        (Decimal("12.5000"), "USD", "12.50"),
        (Decimal("0"), "USD", "0.00"),
        (Decimal("-0.00"), "USD", "0.00"),  # no signed zero
        (Decimal("7.1234"), "CLF", "7.1234"),
        (Decimal("9999999999.9999"), "CLF", "9999999999.9999"),
        (Decimal("1E+3"), "USD", "1000.00"),  # never an exponent
    ],
)
def test_format_writes_exactly_the_currencys_minor_digits(amount, currency, text):
    assert format_amount(amount, currency) == text


@pytest.mark.parametrize(("amount", "currency"), [(Decimal("12.505"), "USD"), (Decimal("0.5"), "JPY")])
def test_format_never_rounds_money(amount, currency):
    with pytest.raises(ValueError, match="more decimal places"):
        format_amount(amount, currency)


def test_format_refuses_an_unknown_currency():
    with pytest.raises(ValueError, match="not an ISO 4217"):
        format_amount(Decimal("1.00"), "XXX")


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [
        ("1200", "JPY", Decimal("1200")),
        ("1.250", "BHD", Decimal("1.250")),
        ("1.25", "BHD", Decimal("1.25")),
        ("12.50", "USD", Decimal("12.50")),
        ("12", "USD", Decimal("12")),
        ("0.00", "USD", Decimal("0")),
        ("-0", "USD", Decimal("0")),
        ("9999999999.99", "USD", Decimal("9999999999.99")),
    ],
)
def test_parse_reads_a_decimal_string_within_the_currencys_scale(text, currency, amount):
    parsed = parse_amount(text, currency)
    assert parsed == amount and not parsed.is_signed()


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("12.505", "USD", "USD amounts have at most 2 decimal places."),
        ("1200.5", "JPY", "JPY amounts have at most 0 decimal places."),
        ("1.2505", "BHD", "BHD amounts have at most 3 decimal places."),
        ("-1.00", "USD", "The amount cannot be negative."),
        ("10000000000", "USD", "The amount cannot exceed 9999999999.99."),
        ("10000000000.000", "BHD", "The amount cannot exceed 9999999999.999."),
    ],
)
def test_parse_refuses_amounts_out_of_scale_or_bounds(text, currency, message):
    with pytest.raises(ValidationError) as error:
        parse_amount(text, currency)
    assert errors_of(error) == {"amount": [message]}


@pytest.mark.parametrize(
    "text", ["twelve", "1e3", "NaN", "Infinity", " 12.50", "+12.50", "12.", ".5", "", 12.5, 12, None]
)
def test_parse_accepts_plain_decimal_strings_only(text):
    with pytest.raises(ValidationError) as error:
        parse_amount(text, "USD", field="price")
    assert errors_of(error) == {"price": ['Enter a decimal amount as a string, e.g. "12.50".']}


def test_parse_refuses_an_unknown_currency_as_a_currency_error():
    with pytest.raises(ValidationError) as error:
        parse_amount("1.00", "XXX", field="price")
    assert errors_of(error) == {"currency": ["'XXX' is not an ISO 4217 currency code."]}


def test_bounds_are_the_money_column_in_each_currencys_scale():
    assert Decimal("9999999999.9999") == MAX_AMOUNT
    assert (max_amount("USD"), max_amount("JPY"), max_amount("BHD"), max_amount("CLF")) == (
        Decimal("9999999999.99"),
        Decimal("9999999999"),
        Decimal("9999999999.999"),
        MAX_AMOUNT,
    )
    validate_amount(max_amount("USD"), "USD")
    with pytest.raises(ValidationError):
        validate_amount(max_amount("USD") + Decimal("0.01"), "USD")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), 12.5, "12.50"])
def test_validate_wants_a_finite_decimal(amount):
    with pytest.raises(ValidationError) as error:
        validate_amount(amount, "USD")
    assert list(errors_of(error)) == ["amount"]


class LineSerializer(serializers.Serializer):
    unit_price = MoneyField(currency="order.currency")
    total = MoneyField()


def test_money_field_renders_in_the_currency_it_is_pointed_at():
    order = SimpleNamespace(currency="JPY")
    line = SimpleNamespace(
        order=order, unit_price=Decimal("1200.0000"), total=Decimal("1.2500"), currency="BHD"
    )
    assert LineSerializer(line).data == {"unit_price": "1200", "total": "1.250"}


def test_money_field_is_read_only():
    serializer = LineSerializer(data={"unit_price": "1", "total": "2"})
    assert serializer.is_valid() and serializer.validated_data == {}
