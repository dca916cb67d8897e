"""Refunds on cancel: what a cancelled booking gets back, and by which way.

| function | writes | refuses |
| --- | --- | --- |
| refund_share / refund_policy | nothing: the share (0..1) and the amount of what was paid that goes back | - |
| cancel_refund | for a cancelled booking, inside its transaction: its pending payments failed; each paid payment refunded by its method (below); the payment's refunded total and state, the booking `refunded` once all came back | - (a booking with nothing paid: nothing) |
| refunds_to_pay_back | nothing: the refunds staff pay back by hand, oldest first | - |
| refund_mark_paid_back | the Refund `done`; the payment's refunded total and state; the booking `refunded` once all came back | a refund not to pay back by hand, or paid back already (409) |

The policy: staff cancelling (the business's decision, a cancelled class session
among them) and a customer cancelling up to the company's cancel cut-off get all of
it back; a customer after the cut-off gets `refund_after_cutoff_percent` of it,
rounded half up to the currency's minor unit. booking_cancel refuses a customer after
the cut-off today, so that share is reached only by a caller that passes it.

Each paid payment goes back by its method:

| method | given back |
| --- | --- |
| card | card_refund: a pending Refund written now, the provider's call after the commit (the sweep asks again when it got no answer) |
| pass | the entry (pass_return), only with the whole share: an entry is not split, so below 100 % it stays spent |
| credits | money credits: the share back to the wallet (`cancel_return`); class credits, like an entry, only with the whole share |
| bank transfer, on site, a card payment the provider never named | a pending Refund "to pay back by hand" (refunds_to_pay_back) until staff mark it paid back |

"Refund due" (bookings.domain.REFUND_DUE: cancelled and still `paid`) is what these
leave behind: a booking whose money all came back (pass, credits, a card refund the
provider answered) is `refunded` and no longer due; one waiting for a refund by hand
or for the provider's answer still is, until the refund is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from rendezvous.bookings.domain import booking_record_payment
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.companies.models import Company
from rendezvous.core.audit import STAFF, logged
from rendezvous.core.errors import InvalidState

from ..models import (
    EntryReason,
    Method,
    PassUse,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    Unit,
    WalletEntry,
)
from .card import card_refund
from .charges import PAYMENT, payment_fail
from .money import quantize
from .passes import pass_return
from .settings import payment_settings_or_defaults
from .wallet import wallet_change

WHOLE = Decimal(1)
PAID_STATES = (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED)
BY_HAND = (Method.BANK_TRANSFER, Method.ON_SITE)


def refund_share(booking: Booking, *, by_customer: bool, now: datetime) -> Decimal:
    """The share of what was paid that goes back: 1 for staff, or for a customer up to
    the company's cancel cut-off before the start; after it the company's percent."""
    if not by_customer:
        return WHOLE
    if booking.before_cancel_cutoff(now):
        return WHOLE
    percent = payment_settings_or_defaults(booking.company).refund_after_cutoff_percent
    return Decimal(percent) / 100


def _left(payment: Payment) -> Decimal:
    """What of `payment` can still go back: not refunded, and no refund under way."""
    pending = Refund.objects.filter(payment=payment, state=RefundState.PENDING).aggregate(
        s=Sum("amount")
    )["s"] or Decimal(0)
    return max(payment.amount - payment.refunded - pending, Decimal(0))


def _share_of(payment: Payment, share: Decimal) -> Decimal:
    return quantize(_left(payment) * share, payment.currency)


def refund_policy(booking: Booking, *, by_customer: bool, now: datetime) -> Decimal:
    """The amount of what the booking's paid payments hold that goes back on a cancel
    (refund_share of it, per payment rounded half up to the currency's minor unit)."""
    share = refund_share(booking, by_customer=by_customer, now=now)
    paid = Payment.objects.filter(booking=booking, state__in=PAID_STATES)
    return sum((_share_of(p, share) for p in paid), Decimal(0))


@dataclass
class CancelRefunds:
    """What cancel_refund did."""

    share: Decimal = WHOLE
    refunds: list[Refund] = field(default_factory=list)  # card and by hand
    credits: list[WalletEntry] = field(default_factory=list)
    passes: list[PassUse] = field(default_factory=list)
    kept: list[Payment] = field(default_factory=list)  # an entry or class credits kept
    failed: list[Payment] = field(default_factory=list)  # pending, no longer due


def _refunded_add(payment: Payment, amount: Decimal, *, now: datetime) -> None:
    """`amount` more of `payment` (locked) came back: its total and state."""
    was = payment.state
    payment.refunded = min(payment.amount, payment.refunded + amount)
    payment.state = (
        PaymentState.REFUNDED
        if payment.refunded >= payment.amount
        else PaymentState.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded", "state", "updated_at"])
    logged(
        payment,
        PAYMENT,
        "refunded",
        {"state": (was, payment.state), "refunded": str(payment.refunded), "at": now},
    )


def _booking_refunded_if_all_back(booking: Booking) -> None:
    """The booking `refunded` once none of its payments holds money or an entry."""
    current = Booking.objects.get(pk=booking.pk)
    if current.payment_status != PaymentStatus.PAID:
        return
    if Payment.objects.filter(booking=current, state__in=PAID_STATES).exists():
        return
    if not Payment.objects.filter(booking=current, state=PaymentState.REFUNDED).exists():
        return
    booking_record_payment(booking=current, status=PaymentStatus.REFUNDED)


def _by_hand(payment: Payment, amount: Decimal, reason: str) -> Refund:
    refund = Refund.objects.create(payment=payment, amount=amount, reason=reason[:200])
    logged(
        payment,
        PAYMENT,
        "refund_requested",
        {"refund": refund.pk, "amount": str(amount), "by_hand": True},
    )
    return refund


def _class_credits_spent(payment: Payment) -> Decimal:
    spent = WalletEntry.objects.filter(
        payment=payment, unit=Unit.CREDIT, reason=EntryReason.BOOKING
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    returned = WalletEntry.objects.filter(
        payment=payment, unit=Unit.CREDIT, reason=EntryReason.CANCEL_RETURN
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return max(-spent - returned, Decimal(0))


def cancel_refund(*, booking: Booking, by_customer: bool, now: datetime) -> CancelRefunds:
    """Give back what a cancelled booking paid, by policy; called by the BookingCancelled
    subscriber inside the cancel's transaction (the booking row locked), so the
    refunds commit or roll back with the cancel.

    Side effects, in order:
    1. lock: the booking's payments
    2. write: each pending payment failed (a transfer or checkout no longer due; a
       card paid at the provider all the same is refunded by its webhook); for each
       paid one, refund_share of what is left, by its method (module docstring); an
       audit entry for each; the booking `refunded` (booking_record_payment) once all
       of it came back
    3. after the commit: the card provider's refund (card_refund)
    A booking with nothing paid and nothing pending: nothing.
    """
    done = CancelRefunds()
    with booking_transaction():
        payments = list(
            Payment.objects.select_for_update(of=("self",))
            .filter(booking=booking, state__in=(PaymentState.PENDING, *PAID_STATES))
            .order_by("pk")
        )
        for pending in (p for p in payments if p.state == PaymentState.PENDING):
            done.failed.append(
                payment_fail(
                    payment=pending,
                    reason=_("The booking was cancelled: this payment is no longer due."),
                    now=now,
                )
            )
        paid = [p for p in payments if p.state in PAID_STATES]
        if not paid:
            return done
        done.share = share = refund_share(booking, by_customer=by_customer, now=now)
        reason = _("Booking cancelled")
        for payment in paid:
            if payment.method == Method.PASS:
                if share == WHOLE and booking.pass_uses.filter(returned_at__isnull=True).exists():
                    done.passes.append(pass_return(booking=booking, now=now))
                else:
                    done.kept.append(payment)
                    logged(payment, PAYMENT, "entry_kept", {"share": str(share)})
                continue
            if payment.method == Method.CREDITS and payment.amount == 0:
                seats = _class_credits_spent(payment)
                if share == WHOLE and seats > 0 and booking.customer is not None:
                    done.credits.append(
                        wallet_change(
                            customer=booking.customer,
                            unit=Unit.CREDIT,
                            amount=seats,
                            reason=EntryReason.CANCEL_RETURN,
                            booking=booking,
                            payment=payment,
                        )
                    )
                    payment.state = PaymentState.REFUNDED
                    payment.save(update_fields=["state", "updated_at"])
                    logged(payment, PAYMENT, "refunded", {"credits": str(seats), "at": now})
                else:
                    done.kept.append(payment)
                    logged(payment, PAYMENT, "credits_kept", {"share": str(share)})
                continue
            amount = _share_of(payment, share)
            if amount <= 0:
                continue
            if payment.method == Method.CREDITS and booking.customer is not None:
                done.credits.append(
                    wallet_change(
                        customer=booking.customer,
                        unit=Unit.MONEY,
                        amount=amount,
                        reason=EntryReason.CANCEL_RETURN,
                        booking=booking,
                        payment=payment,
                    )
                )
                _refunded_add(payment, amount, now=now)
            elif payment.method == Method.CARD and payment.provider_payment:
                done.refunds.append(
                    card_refund(
                        payment=payment, amount=amount, reason=reason, now=now, after_commit=True
                    )
                )
            else:
                done.refunds.append(_by_hand(payment, amount, reason))
        _booking_refunded_if_all_back(booking)
    booking.refresh_from_db(fields=["payment_status"])
    return done


def refunds_to_pay_back(company: Company) -> QuerySet[Refund]:
    """The company's refunds staff pay back by hand (a transfer, cash, a card payment
    the provider never named), not yet marked paid back; oldest first."""
    return (
        Refund.objects.filter(payment__company=company, state=RefundState.PENDING)
        .exclude(payment__method=Method.CARD, payment__provider_payment__gt="")
        .select_related("payment", "payment__booking")
        .order_by("created_at", "id")
    )


def refund_mark_paid_back(
    *, refund: Refund, actor: AbstractBaseUser | None, now: datetime
) -> Refund:
    """Staff paid `refund` back by hand (callers check the actor may manage payments).

    Side effects, in order:
    1. lock: the booking row, the payment row, the refund row
    2. re-check: a refund to pay back by hand, still pending
    3. write: the refund `done` with `done_at`; the payment's refunded total and state;
       an audit entry; the booking `refunded` once all of it came back
    Raises InvalidState; nothing is written then.
    """
    with booking_transaction():
        payment = refund.payment
        if payment.booking_id is not None:
            Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
        locked_payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if locked_payment.method == Method.CARD and locked_payment.provider_payment:
            raise InvalidState(
                _("The card provider pays this refund back: it cannot be marked by hand.")
            )
        if locked.state != RefundState.PENDING:
            raise InvalidState(_("This refund is not waiting to be paid back."))
        locked.state = RefundState.DONE
        locked.done_at = now
        locked.save(update_fields=["state", "done_at"])
        logged(
            locked_payment,
            PAYMENT,
            "refund_paid_back",
            {"refund": locked.pk, "state": (RefundState.PENDING, RefundState.DONE)},
            kind=STAFF if actor is not None else None,
        )
        _refunded_add(locked_payment, locked.amount, now=now)
        if locked_payment.booking_id is not None:
            _booking_refunded_if_all_back(Booking.objects.get(pk=locked_payment.booking_id))
    return locked
