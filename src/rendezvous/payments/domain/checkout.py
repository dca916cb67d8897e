"""A booking's payment as the customer and staff see it, and the one door every method
is started through.

| function | writes | refuses |
| --- | --- | --- |
| payment_state | nothing: what the booking owes and how it may be paid; None when it asks for no payment | - |
| payment_prefetch | nothing: the payments and settings of a list of bookings, in two queries | - |
| payment_start | what the method's own start writes (bank.transfer_start, on_site_start); a new transfer's confirmation email again, with the account and reference | a method unknown (400), not offered for this booking (400), or the method's own refusals (409) |
| on_site_start | one pending on-site Payment for an in-person booking (the one already there on a second call) | on site off, an online booking (400); a booking cancelled or with nothing to pay, another method's payment under way (409) |
| payment_record | the booking's payment of `method` paid (charges.payment_mark_paid), made first when there is none; a pending payment of another method (not a card's) failed | a method staff cannot record (400), a booking cancelled or with nothing to pay, a card checkout under way (409), another amount (400) |

Every payment ends in charges.payment_mark_paid, so the booking becoming paid (and its
email with the join link) happens in one place whatever the method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from rendezvous.bookings import events
from rendezvous.bookings.domain import booking_record_payment
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.core.audit import logged
from rendezvous.core.errors import InvalidState, ValidationFailed

from ..models import Method, Payment, PaymentState
from . import bank
from .card import card_checkout_start
from .charges import PAYMENT, booking_amount, payment_fail, payment_mark_paid
from .passes import pass_spend
from .settings import enabled_methods, payment_settings_or_defaults
from .wallet import credits_spend

# What staff may record by hand: money they took themselves. Credits and pass entries
# are spent from the customer's wallet or pass, never typed in.
RECORDABLE = (Method.BANK_TRANSFER, Method.ON_SITE, Method.CARD)


@dataclass(frozen=True, kw_only=True)
class PaymentInfo:
    """What a booking asks to be paid, as docs/api.md's `payment` object names it.

    `state` is its current payment's (pending, paid, failed, refunded,
    partially_refunded), or the booking's own when no payment row exists (paid or
    refunded by hand before payments had rows). `method` is the method under way or
    used, None while the customer has not picked one; `methods` the ones offered while
    it waits for its money.
    """

    state: str
    amount: Decimal
    currency: str
    method: str | None
    methods: tuple[str, ...]
    checkout_url: str | None
    reference: str | None
    due: date | None
    payment: Payment | None = field(default=None, compare=False, repr=False)

    @property
    def waiting(self) -> bool:
        """Money is due and no method is under way: the customer may pick one."""
        return self.state == PaymentState.PENDING and self.payment is None

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "amount": self.amount,
            "currency": self.currency,
            "method": self.method,
            "methods": list(self.methods),
            "checkout_url": self.checkout_url,
            "reference": self.reference,
            "due": self.due,
        }


@dataclass(frozen=True)
class PaymentPrefetch:
    """The rows payment_state reads for a list of bookings (payment_prefetch)."""

    payments: dict[UUID | None, Payment | None]  # booking id -> its current Payment
    # (service id, online) -> the methods offered, read once per kind of row
    methods: dict[tuple[int, bool], tuple[str, ...]] = field(default_factory=dict)


def _current(payments: list[Payment]) -> Payment | None:
    """The payment that speaks for the booking: the newest one not given up."""
    live = [p for p in payments if p.state != PaymentState.FAILED]
    return max(live, key=lambda p: (p.created_at, p.pk)) if live else None


def payment_prefetch(bookings: list[Booking]) -> PaymentPrefetch:
    """One query for the payments of any number of bookings (none when none asks for
    payment); the methods offered are then read once per service, not per row."""
    asking = [b.pk for b in bookings if b.payment_status != PaymentStatus.NOT_REQUIRED]
    if not asking:
        return PaymentPrefetch(payments={})
    rows: dict[UUID | None, list[Payment]] = {}
    for payment in Payment.objects.filter(booking__in=asking).exclude(state=PaymentState.FAILED):
        rows.setdefault(payment.booking_id, []).append(payment)
    return PaymentPrefetch(payments={pk: _current(found) for pk, found in rows.items()})


def _offered(booking: Booking, prefetched: PaymentPrefetch | None) -> tuple[str, ...]:
    def read() -> tuple[str, ...]:
        return tuple(enabled_methods(booking.company, booking.service, online=booking.online))

    if prefetched is None:
        return read()
    key = (booking.service_id, booking.online)
    if key not in prefetched.methods:
        prefetched.methods[key] = read()
    return prefetched.methods[key]


def payment_state(
    booking: Booking, prefetched: PaymentPrefetch | None = None
) -> PaymentInfo | None:
    """What `booking` owes and how it may be paid; None when it asks for no payment.
    `prefetched` (payment_prefetch, for lists) supplies the rows it would query."""
    if booking.payment_status == PaymentStatus.NOT_REQUIRED:
        return None
    if prefetched is not None:
        payment = prefetched.payments.get(booking.pk)
    else:
        payment = _current(list(Payment.objects.filter(booking=booking)))
    waiting = booking.payment_status == PaymentStatus.PENDING and booking.is_active
    methods = _offered(booking, prefetched) if waiting else ()
    if payment is None:
        amount, currency = booking_amount(booking)
        state = (
            PaymentState.REFUNDED
            if booking.payment_status == PaymentStatus.REFUNDED
            else PaymentState.PAID
            if booking.payment_status == PaymentStatus.PAID
            else PaymentState.PENDING
        )
        return PaymentInfo(
            state=state,
            amount=amount,
            currency=currency,
            method=None,
            methods=methods,
            checkout_url=None,
            reference=None,
            due=None,
        )
    return PaymentInfo(
        state=payment.state,
        amount=payment.amount,
        currency=payment.currency,
        method=payment.method,
        methods=methods,
        checkout_url=(payment.checkout_url or None)
        if payment.state == PaymentState.PENDING
        else None,
        reference=payment.reference or None,
        due=payment.due,
        payment=payment,
    )


def _not_offered() -> ValidationFailed:
    return ValidationFailed(
        fields={"method": [_("This way of paying is not offered for this booking.")]}
    )


def payment_start(
    *,
    booking: Booking,
    method: str,
    success_url: str = "",
    cancel_url: str = "",
    now: datetime,
) -> Payment:
    """The customer picked how to pay `booking`: the method's payment, started.

    Side effects, in order:
    1. validate: the method is one we know and the company offers it for this booking
       (settings.enabled_methods: an online booking is not paid on site)
    2. the method's own start, which locks, re-checks and writes: bank.transfer_start
       (a reference and a due date), on_site_start, card.card_checkout_start (the
       checkout page in `checkout_url`), passes.pass_spend and wallet.credits_spend
       (paid at once; another pending payment of the booking is failed)
    3. a transfer just started on a confirmed booking: its confirmation is sent again
       (bookings.events.ConfirmationResent), rendered with the account, amount and
       reference ([payment_instructions]); the first one went as the booking was made
    Raises ValidationFailed (method), InvalidState (the method's refusals); nothing is
    written then. `success_url` and `cancel_url` are where a card checkout returns.
    """
    if method not in Method.values:
        raise ValidationFailed(fields={"method": [_("Unknown payment method.")]})
    if method not in enabled_methods(booking.company, booking.service, online=booking.online):
        raise _not_offered()
    if method == Method.BANK_TRANSFER:
        return _transfer_start(booking=booking, now=now)
    if method == Method.ON_SITE:
        return on_site_start(booking=booking, now=now)
    if method == Method.CARD:
        return card_checkout_start(
            booking=booking, success_url=success_url, cancel_url=cancel_url, now=now
        )
    if method == Method.PASS:
        with booking_transaction():
            for other in Payment.objects.filter(booking=booking, state=PaymentState.PENDING):
                payment_fail(payment=other, reason=_("Paid with a pass entry instead."), now=now)
            use = pass_spend(booking=booking, now=now)
        return Payment.objects.filter(booking=use.booking, method=Method.PASS).latest("id")
    return credits_spend(booking=booking, now=now)


def _transfer_start(*, booking: Booking, now: datetime) -> Payment:
    with booking_transaction():
        # The booking's lock first, so that of two clicks at once only the one that
        # makes the transfer sends the email.
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service", "staff")
            .get(pk=booking.pk)
        )
        had = Payment.objects.filter(
            booking=locked, state=PaymentState.PENDING, method=Method.BANK_TRANSFER
        ).exists()
        payment = bank.transfer_start(booking=locked, now=now)
        if not had and locked.status == BookingStatus.CONFIRMED and locked.end > now:
            events.publish(events.ConfirmationResent(booking=locked))
    return payment


def _create(*, booking: Booking, method: str, amount: Decimal, currency: str) -> Payment:
    payment = Payment.objects.create(
        company_id=booking.company_id,
        booking=booking,
        method=method,
        amount=amount,
        currency=currency,
    )
    logged(
        payment,
        PAYMENT,
        "created",
        {
            "method": (None, method),
            "amount": (None, amount),
            "currency": (None, currency),
        },
    )
    return payment


def _lock_waiting(booking: Booking) -> Booking:
    """The booking's row locked; refused unless active (or done, for staff recording
    money after the appointment) and waiting for its payment."""
    locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
    if locked.status == BookingStatus.CANCELLED:
        raise InvalidState(_("This booking was cancelled: there is nothing to pay."))
    return locked


def on_site_start(*, booking: Booking, now: datetime) -> Payment:
    """The customer will pay at the appointment: a pending on-site payment staff mark
    paid when the money is in their hand (payment_record, or charges.payment_mark_paid).

    Side effects, in order:
    1. validate: the company takes payments on site and the booking is in person
    2. lock: the booking row
    3. re-check: the booking is active and waits for its payment, costs something, and
       no other method's payment of it is under way (a pending on-site one is returned)
    4. write: a pending Payment of the booking's amount and currency; an audit entry
    Raises ValidationFailed or InvalidState; nothing is written then.
    """
    settings = payment_settings_or_defaults(booking.company)
    if not settings.on_site:
        raise ValidationFailed(
            fields={"method": [_("This business does not take payments on site.")]}
        )
    if booking.online:
        raise ValidationFailed(
            fields={"method": [_("A video meeting has no site to pay at: pick another way.")]}
        )
    amount, currency = booking_amount(booking)
    with booking_transaction():
        locked = _lock_waiting(booking)
        if not locked.is_active:
            raise InvalidState(_("This booking was cancelled: there is nothing to pay."))
        if locked.online:
            raise ValidationFailed(
                fields={"method": [_("A video meeting has no site to pay at: pick another way.")]}
            )
        under_way = Payment.objects.filter(booking=locked, state=PaymentState.PENDING).first()
        if under_way is not None:
            if under_way.method == Method.ON_SITE:
                return under_way
            raise InvalidState(
                _("Another payment of this booking is under way: finish or cancel it first.")
            )
        if locked.payment_status != PaymentStatus.PENDING or amount <= 0:
            raise InvalidState(_("This booking has nothing left to pay."))
        return _create(booking=locked, method=Method.ON_SITE, amount=amount, currency=currency)


def payment_record(
    *,
    booking: Booking,
    method: str,
    amount: Decimal | None = None,
    note: str = "",
    actor: AbstractBaseUser | None,
    now: datetime,
) -> Payment:
    """Staff took the money for `booking` themselves (cash, a transfer they saw, a card
    terminal): its payment of `method` is paid. `amount` is what they took (None: the
    amount due).

    Side effects, in order:
    1. validate: the method is one staff record by hand
    2. lock: the booking row
    3. re-check: not cancelled, still waiting for its payment; a card checkout under way
       is refused (its webhook may still pay it)
    4. write: a pending payment of another method is failed ("paid another way"); the
       pending one of `method` is used, or one is made for the amount due
    5. charges.payment_mark_paid (the amount must be the one due; the booking paid and
       its email with the join link)
    Raises ValidationFailed or InvalidState; nothing is written then.
    """
    if method not in RECORDABLE:
        raise ValidationFailed(
            fields={"method": [_("Record a payment made by bank transfer, on site or by card.")]}
        )
    total, currency = booking_amount(booking)
    with booking_transaction():
        locked = _lock_waiting(booking)
        if locked.payment_status != PaymentStatus.PENDING or total <= 0:
            raise InvalidState(_("This booking has nothing left to pay."))
        payment = Payment.objects.filter(booking=locked, state=PaymentState.PENDING).first()
        if payment is not None and payment.method != method:
            if payment.method == Method.CARD:
                raise InvalidState(
                    _("A card payment of this booking is under way: wait for it or cancel it.")
                )
            payment_fail(payment=payment, reason=_("Paid another way."), now=now)
            payment = None
        if payment is None:
            payment = _create(booking=locked, method=method, amount=total, currency=currency)
        return payment_mark_paid(
            payment=payment,
            amount=payment.amount if amount is None else amount,
            actor=actor,
            note=note,
            now=now,
        )


def payment_received(*, booking: Booking, actor: AbstractBaseUser | None, now: datetime) -> None:
    """Staff say the booking's money came (the pop-up's and the class list's "Payment
    received"): a pending transfer is marked received (it keeps its reference), anything
    else is recorded as paid on site for the amount due (payment_record); a booking that
    asks for payment of nothing (a free seat of a paid class) is simply recorded paid.
    All but the last end in charges.payment_mark_paid. Raises InvalidState."""
    info = payment_state(booking)
    pending = info.payment if info is not None and info.state == PaymentState.PENDING else None
    if pending is not None and pending.method == Method.BANK_TRANSFER:
        bank.mark_received(payment=pending, actor=actor, now=now)
        return
    if booking_amount(booking)[0] <= 0 and booking.payment_status == PaymentStatus.PENDING:
        booking_record_payment(booking=booking, status=PaymentStatus.PAID)
        return
    payment_record(booking=booking, method=Method.ON_SITE, actor=actor, now=now)
