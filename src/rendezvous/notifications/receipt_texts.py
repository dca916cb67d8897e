"""`[receipt]`: what the payment_confirmed email says was paid, read from the booking's
paid payment (payments.models.Payment) and the company's tax rate (PaymentSettings).

Plain lines, one fact each, so the text part reads as a small table and the HTML part
keeps them as lines (notifications.variables escapes and breaks them). Prices include
the tax: the tax included is total × rate / (100 + rate), rounded to the currency.
A payment of 0 (a pass entry, credits of a class) says how it was paid, no amounts.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from django.utils.translation import gettext as _
from django.utils.translation import override, to_locale

from rendezvous.bookings.models import Booking
from rendezvous.core.formats import money
from rendezvous.payments.domain.money import quantize
from rendezvous.payments.domain.settings import payment_settings_or_defaults
from rendezvous.payments.models import Method, Payment, PaymentState

from .domain.render import format_when


def receipt_number(payment: Payment) -> str:
    return f"R-{payment.pk:06d}"


def tax_included(total: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax inside a price that includes it at `rate` percent."""
    return quantize(total * rate / (Decimal(100) + rate), currency)


def _address(booking: Booking) -> list[str]:
    """The company's address: the booking's place, else the company's first location
    (the company itself has no address field)."""
    location = booking.session.location if booking.session is not None else None
    location = location or booking.service.location
    location = location or booking.company.locations.order_by("name", "pk").first()
    if location is None:
        return []
    return [line.strip() for line in location.address.splitlines() if line.strip()]


@dataclass(frozen=True)
class Receipt:
    """What one receipt says, before it is worded."""

    header: list[str]  # the company's name, then its address lines
    number: str
    paid_on: date  # in the company's zone
    item: str
    method: str  # a Method value
    amount: Decimal
    currency: str
    rate: Decimal  # percent included in the amount; 0: none shown


def receipt_lines(receipt: Receipt, language: str) -> str:
    """The receipt worded in `language`, one fact a line."""
    locale = to_locale(language)
    currency = receipt.currency
    with override(language):
        lines = [
            *receipt.header,
            _("Receipt no.: %(number)s") % {"number": receipt.number},
            _("Date paid: %(date)s")
            % {"date": format_date(receipt.paid_on, format="long", locale=locale)},
            _("Item: %(item)s") % {"item": receipt.item},
        ]
        if not receipt.amount:
            lines.append(
                _("Paid with a pass entry.")
                if receipt.method == Method.PASS
                else _("Paid with credits.")
            )
            return "\n".join(lines)
        paid = money(receipt.amount, currency)
        lines.append(_("Method: %(method)s") % {"method": Method(receipt.method).label})
        lines.append(_("Amount paid: %(amount)s") % {"amount": paid})
        if receipt.rate:
            shown = format_decimal(receipt.rate, format="#,##0.##", locale=locale)
            tax = tax_included(receipt.amount, receipt.rate, currency)
            lines.append(_("Tax rate: %(rate)s %%") % {"rate": shown})
            lines.append(_("Tax included: %(amount)s") % {"amount": money(tax, currency)})
        lines.append(_("Total: %(amount)s") % {"amount": paid})
    return "\n".join(lines)


def receipt_text(booking: Booking, *, language: str, zone: ZoneInfo) -> str:
    """The receipt of the booking's payment in `language`; "" when nothing is paid."""
    payment = (
        Payment.objects.filter(booking=booking, state=PaymentState.PAID)
        .order_by("-paid_at", "-id")
        .first()
    )
    if payment is None:
        return ""
    company = booking.company
    currency = payment.currency
    with override(language):
        service = booking.service.text_in("name", language, company=company)
        item = f"{service}, {format_when(booking.start, zone, language)}"
        if booking.session_id:
            price = quantize(booking.service.price, currency)
            item += f" ({booking.participants} × {money(price, currency)})"
    paid_at = (payment.paid_at or payment.updated_at).astimezone(company.zone)
    receipt = Receipt(
        header=[company.name, *_address(booking)],
        number=receipt_number(payment),
        paid_on=paid_at.date(),
        item=item,
        method=payment.method,
        amount=payment.amount,
        currency=currency,
        rate=payment_settings_or_defaults(company).tax_rate_percent,
    )
    return receipt_lines(receipt, language)
