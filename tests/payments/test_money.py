"""Amounts in minor units: quantize, to and from Stripe's integers, parsing what people type."""

from decimal import Decimal

import pytest

from rendezvous.core.errors import ValidationFailed
from rendezvous.payments.domain.money import from_minor, parse_amount, quantize, to_minor

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.50", "EUR", 1250), ("1200", "JPY", 1200), ("1.234", "KWD", 1234), ("0.10", "RON", 10)],
)
def test_minor_units_follow_the_currency(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


def test_an_amount_finer_than_the_currency_is_not_sent_to_a_provider():
    with pytest.raises(ValueError):
        to_minor(Decimal("12.505"), "EUR")
    with pytest.raises(ValueError):
        to_minor(Decimal("1.5"), "JPY")


def test_quantize_rounds_half_up():
    assert quantize(Decimal("2.345"), "EUR") == Decimal("2.35")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.50", "12.50"),
        (" 12,50 ", "12.50"),
        ("7", "7.00"),
        (7, "7.00"),
        (Decimal("3.1"), "3.10"),
    ],
)
def test_typed_amounts(text, value):
    assert parse_amount(text, "EUR") == Decimal(value)


@pytest.mark.parametrize("text", ["12.505", "-1", "abc", "", "1,000.50", 12.5, True, None, "NaN"])
def test_bad_amounts_are_refused_with_the_field(text):
    with pytest.raises(ValidationFailed) as refused:
        parse_amount(text, "EUR", field="price")
    assert "at most 2 decimals" in str(refused.value.fields["price"][0])
