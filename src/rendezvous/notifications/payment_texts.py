"""What emails say about a booking's payment: `[payment_instructions]`, `[amount_due]`
and `[payment_reference]`, read from payments.domain.checkout (what is due and how it
is being paid) and bank (where a transfer goes).

Only while the money is due: a paid booking, or one that asks for no payment, gets
empty values, so the template's payment line is left out (notifications.variables).
"""

from dataclasses import dataclass

from babel.dates import format_date
from django.utils.translation import gettext as _
from django.utils.translation import override

from rendezvous.bookings.models import Booking
from rendezvous.core.formats import babel_locale, money
from rendezvous.payments.domain.bank import payment_instructions
from rendezvous.payments.domain.checkout import payment_state
from rendezvous.payments.models import Method, PaymentState


@dataclass(frozen=True)
class PaymentTexts:
    instructions: str = ""  # [payment_instructions]
    amount_due: str = ""  # [amount_due]
    reference: str = ""  # [payment_reference]


def payment_texts(booking: Booking, *, language: str) -> PaymentTexts:
    """The payment variables of `booking`, worded in `language`."""
    info = payment_state(booking)
    if info is None or info.state != PaymentState.PENDING or not booking.is_active:
        return PaymentTexts()
    with override(language):
        amount = money(info.amount, info.currency)
        if info.method == Method.BANK_TRANSFER and info.payment is not None:
            account = payment_instructions(info.payment)
            lines = [
                _("Please transfer %(amount)s to this account:") % {"amount": amount},
                _("Account holder: %(holder)s") % {"holder": account["holder"]},
                _("IBAN: %(iban)s") % {"iban": account["iban"]},
            ]
            if account["bic"]:
                lines.append(_("BIC: %(bic)s") % {"bic": account["bic"]})
            lines.append(_("Reference: %(reference)s") % {"reference": account["reference"]})
            if account["due"] is not None:
                due = format_date(account["due"], format="long", locale=babel_locale())
                lines.append(_("Due by: %(date)s") % {"date": due})
            text = "\n".join(lines)
        elif info.method == Method.ON_SITE:
            text = _("You pay %(amount)s on site.") % {"amount": amount}
        elif info.method == Method.CARD:
            text = _("%(amount)s by card: finish the payment on your booking's page.") % {
                "amount": amount
            }
        else:
            text = _("%(amount)s is due: choose how to pay on your booking's page.") % {
                "amount": amount
            }
    return PaymentTexts(instructions=text, amount_due=amount, reference=info.reference or "")
