"""`[receipt]`: what the payment_confirmed email says was paid, read from the booking's
paid payment (payments.models.Payment) and the company's tax rate (PaymentSettings).

Plain lines, one fact each, so the text part reads as a small table and the HTML part
keeps them as lines (notifications.variables escapes and breaks them). Prices include
the tax: the tax included is total × rate / (100 + rate), rounded to the currency.
A payment of 0 (a pass entry, credits of a class) says how it was paid, no amounts.
"""

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
    locale = to_locale(language)
    currency = payment.currency
    with override(language):
        service = booking.service.text_in("name", language, company=company)
        item = f"{service}, {format_when(booking.start, zone, language)}"
        if booking.session_id:
            price = quantize(booking.service.price, currency)
            item += f" ({booking.participants} × {money(price, currency)})"
        paid_at = (payment.paid_at or payment.updated_at).astimezone(company.zone)
        lines = [company.name, *_address(booking)]
        lines.append(_("Receipt no.: %(number)s") % {"number": receipt_number(payment)})
        lines.append(
            _("Date paid: %(date)s")
            % {"date": format_date(paid_at.date(), format="long", locale=locale)}
        )
        lines.append(_("Item: %(item)s") % {"item": item})
        if not payment.amount:
            lines.append(
                _("Paid with a pass entry.")
                if payment.method == Method.PASS
                else _("Paid with credits.")
            )
            return "\n".join(lines)
        lines.append(_("Method: %(method)s") % {"method": Method(payment.method).label})
        lines.append(_("Amount paid: %(amount)s") % {"amount": money(payment.amount, currency)})
        rate = payment_settings_or_defaults(company).tax_rate_percent
        if rate:
            shown = format_decimal(rate, format="#,##0.##", locale=locale)
            lines.append(_("Tax rate: %(rate)s %%") % {"rate": shown})
            lines.append(
                _("Tax included: %(amount)s")
                % {"amount": money(tax_included(payment.amount, rate, currency), currency)}
            )
        lines.append(_("Total: %(amount)s") % {"amount": money(payment.amount, currency)})
    return "\n".join(lines)
