"""Amounts: Decimals in the currency's minor units (babel's precision: EUR 2, JPY 0,
KWD 3), never floats. Providers speak integers of minor units (Stripe's `amount`).
Shown to people through core.formats.money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from django.utils.translation import gettext as _

from rendezvous.core.errors import ValidationFailed


def digits(currency: str) -> int:
    return int(get_currency_precision(currency.upper()))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half up to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-digits(currency)), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """12.50 EUR -> 1250; refuses an amount finer than the currency's minor unit."""
    exact = quantize(amount, currency)
    if exact != amount:
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(exact.scaleb(digits(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """1250 EUR -> Decimal('12.50')."""
    return quantize(Decimal(minor).scaleb(-digits(currency)), currency)


def parse_amount(text: object, currency: str, *, field: str = "amount") -> Decimal:
    """An amount typed by a person or sent by a client ("12.50", "12,50", 12): a
    non-negative Decimal in the currency's minor units. Floats are refused (they cannot
    hold 0.10 exactly); so are more decimals than the currency has. Raises ValidationFailed."""
    error = ValidationFailed(
        fields={
            field: [
                _("Enter an amount like 12.50, with at most %(n)d decimals.")
                % {"n": digits(currency)}
            ]
        }
    )
    if isinstance(text, (bool, float)):
        raise error
    if isinstance(text, (int, Decimal)):
        value = Decimal(text)
    elif isinstance(text, str):
        cleaned = text.strip().replace(" ", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise error from None
    else:
        raise error
    if not value.is_finite() or value < 0 or quantize(value, currency) != value:
        raise error
    return quantize(value, currency)
