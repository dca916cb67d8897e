"""What a booking owes, and the two ends of every payment: paid, or failed.

| function | writes | refuses |
| --- | --- | --- |
| booking_amount | nothing: the service's price times the participants, in the service's currency | - |
| payment_mark_paid | the Payment `paid` with `paid_at`; its booking `paid` (bookings.domain, which emails the customer); its pass active | a payment not pending (409), another amount or currency (400), a note too long or with control characters (400) |
| payment_fail | the Payment `failed`, the reason in its note; the booking keeps waiting for a payment | a payment not pending (409), a reason too long or with control characters (400) |

Every method ends in payment_mark_paid: a card's webhook, credits and passes at once,
staff marking a transfer received, a bank statement's matched row. So the rule that
the money has to match, and what a paid booking or pass does next, exist once.

Locks: the booking row before the payment row, the order bookings' own writes (a
cancel, then its refund) take them in.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from rendezvous.bookings.domain import booking_cancel, booking_record_payment
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.core.audit import STAFF, SYSTEM, logged
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.formats import money
from rendezvous.core.text import has_control_chars

from ..models import Payment, PaymentState
from .money import quantize

NOTE_MAX = 500
# The audit log's entity of a payment (core.audit).
PAYMENT = "payment"


def booking_amount(booking: Booking) -> tuple[Decimal, str]:
    """What the booking costs: the service's price per participant (a class's seats),
    in the service's currency, rounded to its minor unit."""
    currency = booking.service.effective_currency.upper()
    return quantize(booking.service.price * booking.participants, currency), currency


def shown_amount(amount: Decimal, currency: str) -> str:
    """An amount as people read it; one finer than the currency's cents as it is, so that
    a refusal never shows the amount due as the amount refused (and zero as zero, where
    core.formats.money says "Free")."""
    if not amount or quantize(amount, currency) != amount:
        return f"{amount} {currency}"
    return money(amount, currency)


def _clean_note(field: str, text: str) -> str:
    text = text.strip()
    if len(text) > NOTE_MAX or has_control_chars(text):
        raise ValidationFailed(
            fields={
                field: [
                    _("At most %(n)d characters, no control characters such as line breaks.")
                    % {"n": NOTE_MAX}
                ]
            }
        )
    return text


def _lock(payment: Payment) -> Payment:
    """The payment's row locked (its booking's first), refused unless still pending."""
    if payment.booking_id is not None:
        Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
    locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    if locked.state == PaymentState.FAILED:
        raise InvalidState(_("This payment was cancelled: start a new one."))
    if locked.state != PaymentState.PENDING:
        raise InvalidState(_("This payment was already received."))
    return locked


def payment_mark_paid(
    *,
    payment: Payment,
    amount: Decimal | None = None,
    currency: str | None = None,
    actor: AbstractBaseUser | None = None,
    note: str = "",
    now: datetime,
) -> Payment:
    """The money of `payment` arrived: `amount` and `currency` are what arrived, when the
    caller knows (a provider's answer, a statement's row); `actor` is the staff user who
    says so, None for a provider or a task.

    Side effects, in order:
    1. validate: the note
    2. lock: the booking row, then the payment row
    3. re-check: the payment is pending; the amount and currency are the payment's
    4. write: state `paid`, `paid_at`, the note; an audit entry on the payment
    5. its booking, when still waiting for payment, is recorded paid
       (bookings.domain.booking_record_payment: PaymentRecorded, whose subscribers email
       the customer the payment and, for a video meeting, its join link). A booking
       already paid, cancelled or not asking for payment keeps its status: the money is
       recorded on this payment, for staff to give back.
    6. its pass purchase, the pass is activated (payments.domain.passes)
    Raises InvalidState (not pending) or ValidationFailed (amount, currency, note);
    nothing is written then.
    """
    if isinstance(amount, float):
        raise TypeError("amounts are Decimals, never floats")
    note = _clean_note("note", note)
    with booking_transaction():
        locked = _lock(payment)
        if currency is not None and currency.strip().upper() != locked.currency:
            raise ValidationFailed(
                fields={
                    "currency": [
                        _("This payment is in %(due)s, not %(got)s.")
                        % {"due": locked.currency, "got": currency.strip().upper()[:3]}
                    ]
                }
            )
        if amount is not None and amount != locked.amount:
            raise ValidationFailed(
                fields={
                    "amount": [
                        _("%(due)s is due, not %(got)s.")
                        % {
                            "due": money(locked.amount, locked.currency),
                            "got": shown_amount(amount, locked.currency),
                        }
                    ]
                }
            )
        locked.state = PaymentState.PAID
        locked.paid_at = now
        fields = ["state", "paid_at", "updated_at"]
        if note:
            locked.note = note
            fields.append("note")
        locked.save(update_fields=fields)
        logged(
            locked,
            PAYMENT,
            "paid",
            {"state": (PaymentState.PENDING, PaymentState.PAID), "note": note or None},
            kind=STAFF if actor is not None else SYSTEM,
        )
        if locked.booking_id is not None:
            booking = Booking.objects.get(pk=locked.booking_id)
            # A cancelled booking keeps its status: marking it paid would email the
            # join link of a booking that no longer holds a time.
            if booking.payment_status == PaymentStatus.PENDING and booking.is_active:
                booking_record_payment(booking=booking, status=PaymentStatus.PAID)
        if locked.customer_pass is not None:
            from .passes import pass_activate  # noqa: PLC0415 (passes builds on this module: a cycle)

            pass_activate(customer_pass=locked.customer_pass, now=now)
    return locked


def payment_fail(*, payment: Payment, reason: str, now: datetime) -> Payment:
    """`payment` will not be paid (a checkout abandoned or refused, a transfer given up).

    Side effects, in order:
    1. validate: the reason
    2. lock: the booking row, then the payment row
    3. re-check: the payment is pending
    4. write: state `failed`, the reason as its note; an audit entry on the payment.
       Its booking still waits for a payment: the customer may pay another way.
    Raises InvalidState or ValidationFailed; nothing is written then.
    """
    reason = _clean_note("reason", reason)
    with booking_transaction():
        locked = _lock(payment)
        locked.state = PaymentState.FAILED
        locked.note = reason
        locked.save(update_fields=["state", "note", "updated_at"])
        logged(
            locked,
            PAYMENT,
            "failed",
            {"state": (PaymentState.PENDING, PaymentState.FAILED), "at": now, "note": reason},
        )
    return locked


def payment_release(payment: Payment, *, reason: str, now: datetime, notify_customer: bool) -> bool:
    """The pending `payment` failed and its booking cancelled by the system, when it
    still waits for this payment: the held time is free again (an abandoned card
    checkout, Stripe down at checkout, a transfer overdue). False when the payment
    was no longer pending (paid or failed meanwhile)."""
    with booking_transaction():
        booking = (
            Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
            if payment.booking_id is not None
            else None
        )
        current = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if current.state != PaymentState.PENDING:
            return False
        payment_fail(payment=current, reason=reason, now=now)
        if (
            booking is not None
            and booking.is_active
            and booking.payment_status == PaymentStatus.PENDING
        ):
            booking_cancel(
                booking=booking,
                actor=SYSTEM,
                now=now,
                reason=reason,
                notify_customer=notify_customer,
            )
    return True
