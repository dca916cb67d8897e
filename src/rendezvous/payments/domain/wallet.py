"""A customer's wallet: money and class credits with one company, kept as an append-only
ledger. The balance of a unit is the sum of its entries; nothing else stores it.

| function | writes | refuses |
| --- | --- | --- |
| wallet_change | one WalletEntry (and the Wallet on the first change) | a unit or reason we do not know, a zero amount, credits that are not whole, a booking or payment of another company (400); a change that would take the unit's balance below zero (409) |
| wallet_grant | staff give credits or money, with the reason written down | as wallet_change; a negative amount or an empty note (400) |
| wallet_correct | staff correct a balance either way, with the reason written down | as wallet_change; an empty note (400) |
| wallet_balance / wallet_history | - (reads) | - |

Money is rounded half up to the company currency's minor unit (payments.domain.money)
by wallet_change, since callers inside payments compute shares of a price (a partial
refund); what staff type is checked strictly instead (wallet_grant, wallet_correct),
so a typo of a decimal too many is refused rather than rounded away.

Two changes of one wallet at once are serialised by the wallet's row lock (on SQLite,
by the IMMEDIATE transaction): the second sees the first's entry before it checks the
balance, so two spends of the last credit cannot both succeed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from rendezvous.bookings.domain import booking_record_payment
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import Booking, Customer, PaymentStatus
from rendezvous.catalog.models import ServiceKind
from rendezvous.companies.domain import FieldErrors, clean_text
from rendezvous.core.audit import logged
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.formats import babel_locale

from ..models import EntryReason, Method, Payment, PaymentState, Unit, Wallet, WalletEntry
from .money import digits, quantize

NOTE_MAX = 500
# One change at most this big: the ledger's column holds 14 digits, 3 after the point.
AMOUNT_MAX = Decimal("99999999.99")
STAFF_REASONS = (EntryReason.STAFF_GRANT, EntryReason.STAFF_CORRECTION)
# The audit log's entity name (core.audit).
WALLET = "wallet"


def _currency(customer: Customer) -> str:
    return customer.company.currency


def _exact(amount: Decimal, unit: str, currency: str) -> Decimal:
    """The amount as the ledger keeps it: money in minor units, credits whole."""
    if unit == Unit.CREDIT:
        return amount.quantize(Decimal(1))
    return quantize(amount, currency)


def _shown(amount: Decimal, unit: str, currency: str) -> str:
    if unit == Unit.CREDIT:
        return str(amount)
    # Not core.formats.money: that says "Free" for zero, and a balance of zero is not.
    return str(format_currency(amount, currency, locale=babel_locale()))


def wallet_balance(customer: Customer, unit: str) -> Decimal:
    """The customer's balance of `unit` (money in the company's currency, or credits)."""
    total = WalletEntry.objects.filter(wallet__customer=customer, unit=unit).aggregate(
        total=Sum("amount")
    )["total"]
    return _exact(total or Decimal(0), unit, _currency(customer))


def wallet_history(customer: Customer) -> QuerySet[WalletEntry]:
    """Every change of the customer's wallet, newest first, with its booking and actor."""
    return (
        WalletEntry.objects.filter(wallet__customer=customer)
        .select_related("booking", "payment", "actor")
        .order_by("-created_at", "-id")
    )


def _locked_wallet(customer: Customer) -> Wallet:
    """The customer's wallet row, locked; made on the first change. Two first changes at
    once on PostgreSQL: the second insert waits on the unique customer, fails once the
    first commits, and then finds (and waits for) the first one's row."""
    wallet = Wallet.objects.select_for_update().filter(customer=customer).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(company_id=customer.company_id, customer=customer)
    except IntegrityError:
        return Wallet.objects.select_for_update().get(customer=customer)


def _clean_change(
    *,
    customer: Customer,
    unit: str,
    amount: Decimal,
    reason: str,
    note: str,
    booking: Booking | None,
    payment: Payment | None,
) -> tuple[Decimal, str]:
    errors = FieldErrors()
    currency = _currency(customer)
    exact = Decimal(0)
    if unit not in Unit.values:
        errors.add("unit", _("Choose money or class credits."))
    if reason not in EntryReason.values:
        errors.add("reason", _("Choose a reason from the list."))
    if isinstance(amount, bool) or not isinstance(amount, Decimal) or not amount.is_finite():
        errors.add("amount", _("Enter an amount."))
    elif unit == Unit.CREDIT and amount != amount.to_integral_value():
        errors.add("amount", _("Class credits are whole numbers."))
    elif unit in Unit.values:
        exact = _exact(amount, unit, currency)
        if exact == 0:
            errors.add("amount", _("Enter an amount other than zero."))
        elif abs(exact) > AMOUNT_MAX:
            errors.add("amount", _("At most %(max)s at once.") % {"max": AMOUNT_MAX})
    cleaned_note = clean_text(errors, "note", note, max_length=NOTE_MAX, required=False)
    if booking is not None and booking.company_id != customer.company_id:
        errors.add("booking", _("This booking belongs to another company."))
    if payment is not None and payment.company_id != customer.company_id:
        errors.add("payment", _("This payment belongs to another company."))
    errors.raise_if_any()
    return exact, cleaned_note


def wallet_change(
    *,
    customer: Customer,
    unit: str,
    amount: Decimal,
    reason: str,
    note: str = "",
    booking: Booking | None = None,
    payment: Payment | None = None,
    actor: User | None = None,
) -> WalletEntry:
    """Add `amount` (negative: take it) of `unit` to the customer's wallet.

    Side effects, in order:
    1. validate: unit, reason, amount (money rounded to the company currency's minor
       unit, credits whole, never zero), note, the booking and payment of this company
    2. lock: the customer's wallet row (made on the first change)
    3. re-check: the unit's balance stays at zero or above
    4. write: one WalletEntry; an audit entry on the wallet
    Raises ValidationFailed or InvalidState; nothing is written then.
    """
    exact, cleaned_note = _clean_change(
        customer=customer,
        unit=unit,
        amount=amount,
        reason=reason,
        note=note,
        booking=booking,
        payment=payment,
    )
    currency = _currency(customer)
    with booking_transaction():
        wallet = _locked_wallet(customer)
        balance = _exact(
            wallet.entries.filter(unit=unit).aggregate(total=Sum("amount"))["total"] or Decimal(0),
            unit,
            currency,
        )
        if balance + exact < 0:
            raise InvalidState(
                _("Not enough credits: the balance is %(balance)s.")
                % {"balance": _shown(balance, unit, currency)}
            )
        entry = WalletEntry.objects.create(
            wallet=wallet,
            unit=unit,
            amount=exact,
            reason=reason,
            note=cleaned_note,
            booking=booking,
            payment=payment,
            actor=actor,
        )
        logged(
            wallet,
            WALLET,
            reason,
            {"unit": unit, "amount": exact, "balance": (balance, balance + exact)},
        )
    return entry


def _staff_amount(amount: Decimal, unit: str, currency: str) -> Decimal:
    """What staff typed, refused rather than rounded when it has decimals too many."""
    places = 0 if unit == Unit.CREDIT else digits(currency)
    if (
        isinstance(amount, Decimal)
        and amount.is_finite()
        and unit in Unit.values
        and _exact(amount, unit, currency) != amount
    ):
        raise ValidationFailed(
            fields={
                "amount": [
                    _("Class credits are whole numbers.")
                    if unit == Unit.CREDIT
                    else _("Enter an amount like 12.50, with at most %(n)d decimals.")
                    % {"n": places}
                ]
            }
        )
    return amount


def _staff_note(note: str) -> str:
    errors = FieldErrors()
    cleaned = clean_text(errors, "note", note, max_length=NOTE_MAX)
    if "note" in errors:
        errors.fields["note"] = [_("Write down why: the customer and your colleagues see it.")]
    errors.raise_if_any()
    return cleaned


def wallet_grant(
    *,
    customer: Customer,
    unit: str,
    amount: Decimal,
    note: str,
    actor: User | None = None,
) -> WalletEntry:
    """Staff give the customer credits or money (a goodwill gesture, a voucher sold at
    the desk), saying why. Side effects: as wallet_change, with reason `staff_grant`.
    Raises ValidationFailed for an amount below zero (a correction takes away) or an
    empty note."""
    _staff_note(note)
    amount = _staff_amount(amount, unit, _currency(customer))
    if isinstance(amount, Decimal) and amount.is_finite() and amount < 0:
        raise ValidationFailed(
            fields={"amount": [_("A grant adds: enter an amount above zero, or correct instead.")]}
        )
    return wallet_change(
        customer=customer,
        unit=unit,
        amount=amount,
        reason=EntryReason.STAFF_GRANT,
        note=note,
        actor=actor,
    )


def wallet_correct(
    *,
    customer: Customer,
    unit: str,
    amount: Decimal,
    note: str,
    actor: User | None = None,
) -> WalletEntry:
    """Staff correct the customer's balance up or down, saying why; the mistaken entry
    stays in the history. Side effects: as wallet_change, with reason
    `staff_correction`. Raises ValidationFailed (an empty note) or InvalidState (the
    balance would go below zero)."""
    _staff_note(note)
    amount = _staff_amount(amount, unit, _currency(customer))
    return wallet_change(
        customer=customer,
        unit=unit,
        amount=amount,
        reason=EntryReason.STAFF_CORRECTION,
        note=note,
        actor=actor,
    )


def credits_spend(*, booking: Booking, now: datetime) -> Payment:
    """Pay `booking` from its customer's wallet, in one step: one class credit per seat
    for a class when the customer has enough of them, else money credits of the amount
    due.

    Side effects, in order:
    1. lock: the booking row
    2. re-check: it is active, waits for a payment and has a customer record
    3. write: every other pending payment of the booking failed (paid another way); a
       paid Payment (amount 0 for class credits, bought before, like a pass entry;
       the amount for money); the wallet entry taking the credits (wallet_change:
       refused when the balance is short); the booking paid (booking_record_payment,
       whose email carries the join link); an audit entry on the payment
    Raises InvalidState; nothing is written then.
    """
    from .charges import PAYMENT, booking_amount, payment_fail  # noqa: PLC0415 (charges reaches passes, which reaches this module)

    with booking_transaction():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service", "customer")
            .get(pk=booking.pk)
        )
        if not locked.is_active or locked.payment_status != PaymentStatus.PENDING:
            raise InvalidState(_("This booking has nothing left to pay."))
        customer = locked.customer
        if customer is None:
            raise InvalidState(
                _("Credits belong to a customer record, which this booking has not yet.")
            )
        amount, currency = booking_amount(locked)
        seats = Decimal(locked.participants)
        by_class = (
            locked.service.kind == ServiceKind.CLASS
            and wallet_balance(customer, Unit.CREDIT) >= seats
        )
        for other in Payment.objects.filter(booking=locked, state=PaymentState.PENDING):
            payment_fail(payment=other, reason=_("Paid with credits instead."), now=now)
        payment = Payment.objects.create(
            company=locked.company,
            booking=locked,
            method=Method.CREDITS,
            state=PaymentState.PAID,
            amount=Decimal(0) if by_class else amount,
            currency=currency,
            paid_at=now,
        )
        wallet_change(
            customer=customer,
            unit=Unit.CREDIT if by_class else Unit.MONEY,
            amount=-(seats if by_class else amount),
            reason=EntryReason.BOOKING,
            booking=locked,
            payment=payment,
        )
        logged(payment, PAYMENT, "paid", {"method": Method.CREDITS, "amount": payment.amount})
        booking_record_payment(booking=locked, status=PaymentStatus.PAID)
    return payment
