"""Card payments through the company's card provider (Stripe Checkout): the checkout
that holds the booking's time, the webhook that says how it ended, the sweep that
releases abandoned holds, and refunds.

| function | writes | refuses |
| --- | --- | --- |
| card_checkout_start | a pending card Payment holding the booking (the one already open on a second click), then its checkout at the provider | cards off or Stripe not connected, a booking cancelled or with nothing to pay, a checkout whose time ran out (409); the provider down or refusing: the payment failed, the booking released, CardUnavailable (409) |
| card_checkout_start_for_pass | the pass's pending card payment held until now + hold_minutes (the same on a second click), then its checkout at the provider | cards off or Stripe not connected, a pass active already or not waiting for a card payment, a checkout whose time ran out (409); the provider down or refusing: the payment failed, the pass left inactive, CardUnavailable (409) |
| card_webhook | one WebhookEvent per event id, and what the event says: paid, released, refunded | a call not signed by the company's provider, stale, or naming another company's payment or a checkout not its own (WebhookRefused: nothing written) |
| card_holds_release | each pending card payment past its hold: the checkout expired at the provider, the payment failed, the booking released (paid instead, when the customer paid just in time); a pass's payment failed, the pass left inactive (activated, when paid just in time); refunds still unanswered asked again | - |
| card_refund | a Refund of a paid card payment, then the provider's refund; the payment's refunded total and state | not a paid card payment, an amount not positive or more than is left (400/409) |

Network calls never run inside a transaction (a slow provider would hold the booking's
lock): the rows are written first, the call is made after the commit with an
idempotency key named after the row (`checkout-<payment>`, `refund-<refund>`), so a
retry of the same step gets the provider's first answer.

A payment that succeeds at the provider after its hold was released (the booking
cancelled, or paid otherwise) is never attached to the booking: the booking's time may
be someone else's by then. The money is refunded in full, and the payment goes from
`failed` to `refunded` once the provider confirms.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from rendezvous.bookings.domain import booking_record_payment
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.companies.models import Company
from rendezvous.core.audit import SYSTEM, logged
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.formats import money

from ..models import (
    CustomerPass,
    Method,
    Payment,
    PaymentSettings,
    PaymentState,
    Refund,
    RefundState,
    WebhookEvent,
)
from ..providers.base import (
    CHARGE_REFUNDED,
    CHECKOUT_COMPLETED,
    CHECKOUT_EXPIRED,
    PAYMENT_FAILED,
    CardProvider,
    PaymentProviderError,
    ProviderDown,
    ProviderEvent,
    ProviderRefused,
    WebhookRefused,
    get_provider,
)
from .charges import (
    PAYMENT,
    _clean_note,
    booking_amount,
    payment_fail,
    payment_mark_paid,
    payment_release,
)
from .money import quantize
from .settings import payment_settings_or_defaults, stripe_connected

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
REFUND = "refund"
# The provider's final word on a checkout the sweep expired: the customer paid first.
COMPLETE = "complete"
# Refunds whose provider call got no answer are asked again for this long.
REFUND_RETRY = timedelta(days=2)
BATCH = 200

# What card_webhook did with an event it acted on or acknowledged (answered 200).
PAID = "paid"
ALREADY_PAID = "already_paid"
RELEASED = "released"
DECLINED = "declined"
REFUNDED = "refunded"
LATE_REFUNDED = "late_refunded"
MISMATCH = "mismatch"
DUPLICATE = "duplicate"
IGNORED = "ignored"
# Why an authentic-looking event was refused (answered 400, nothing written).
FOREIGN = "foreign"  # another company's payment, or a checkout that is not the payment's


class CardUnavailable(InvalidState):
    """The provider could not open a checkout: the customer reads `message`."""

    def __init__(self, *, for_pass: bool = False) -> None:
        super().__init__(
            _(
                "Card payments are not available right now. Your pass was not bought and "
                "nothing was charged: please try again in a few minutes."
            )
            if for_pass
            else _(
                "Card payments are not available right now. Your booking was not kept and "
                "nothing was charged: please try again in a few minutes."
            )
        )


def _provider(settings: PaymentSettings) -> CardProvider:
    return get_provider(PROVIDER, settings)


def _description(booking: Booking) -> str:
    start = booking.start.astimezone(booking.company.zone)
    return f"{booking.service.name}, {start:%Y-%m-%d %H:%M}"


# -- checkout ---------------------------------------------------------------------------


def card_checkout_start(
    *, booking: Booking, success_url: str, cancel_url: str, now: datetime
) -> Payment:
    """The card payment of `booking`, with the provider's checkout page in
    `checkout_url`: the one already open (a double click on "pay"), or a new one.

    Side effects, in order:
    1. validate: the company takes cards and Stripe is connected
    2. lock: the booking row
    3. re-check: the booking is active and waits for its payment, and costs something;
       a pending card payment still within its hold is taken as it is (one whose hold
       ran out is refused: the sweep releases it); a pending payment by another method
       is failed (the customer chose the card instead)
    4. write: a pending card Payment of booking_amount, held until now + hold_minutes;
       an audit entry
    5. after the commit: the provider's checkout (idempotency key `checkout-<id>`),
       its id and URL stored on the payment. The provider down or refusing: the
       payment failed and the booking cancelled by the system (its time free again),
       then CardUnavailable.
    Raises InvalidState or CardUnavailable.
    """
    company = booking.company
    settings = payment_settings_or_defaults(company)
    if not (settings.card and stripe_connected(settings)):
        raise InvalidState(_("This business does not take card payments."))
    amount, currency = booking_amount(booking)
    with booking_transaction():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if not locked.is_active:
            raise InvalidState(_("This booking was cancelled: there is nothing to pay."))
        if locked.payment_status != PaymentStatus.PENDING or amount <= 0:
            raise InvalidState(_("This booking has nothing left to pay."))
        under_way = (
            Payment.objects.select_for_update(of=("self",))
            .filter(booking=locked, state=PaymentState.PENDING)
            .first()
        )
        payment = None
        created = False
        if under_way is not None and under_way.method == Method.CARD:
            if under_way.expires_at is not None and under_way.expires_at <= now:
                raise InvalidState(
                    _("The time to pay for this booking has run out. Please book again.")
                )
            payment = under_way
        elif under_way is not None:
            payment_fail(payment=under_way, reason=_("The customer chose to pay by card."), now=now)
        if payment is None:
            created = True
            payment = Payment.objects.create(
                company=company,
                booking=locked,
                method=Method.CARD,
                amount=amount,
                currency=currency,
                provider=PROVIDER,
                expires_at=now + timedelta(minutes=settings.hold_minutes),
            )
            logged(
                payment,
                PAYMENT,
                "created",
                {
                    "method": (None, Method.CARD),
                    "amount": (None, str(amount)),
                    "currency": (None, currency),
                    "expires_at": (None, payment.expires_at),
                },
            )
    return _checkout_open(
        payment,
        settings=settings,
        created=created,
        booking_id=str(booking.pk),
        description=_description(locked),
        customer_email=locked.email,
        success_url=success_url,
        cancel_url=cancel_url,
        now=now,
        unavailable=CardUnavailable(),
    )


def card_checkout_start_for_pass(
    *, customer_pass: CustomerPass, success_url: str, cancel_url: str, now: datetime
) -> Payment:
    """The card payment of a pass the customer bought (passes.pass_purchase, method
    card), with the provider's checkout page in `checkout_url`: the one already open
    (a double click on "buy"), or a new one.

    Side effects, in order:
    1. validate: the company takes cards and Stripe is connected
    2. lock: the pass row, then its pending card payment
    3. re-check: the pass is not active yet and waits for a card payment; one whose
       checkout time ran out is refused (the sweep fails it)
    4. write: the first time, the payment held until now + hold_minutes (the sweep's
       deadline); an audit entry
    5. after the commit: the provider's checkout (idempotency key `checkout-<id>`, no
       booking), its id and URL stored on the payment. The provider down or refusing:
       the payment failed, the pass left inactive, then CardUnavailable.
    Raises InvalidState or CardUnavailable.
    """
    company = customer_pass.company
    settings = payment_settings_or_defaults(company)
    if not (settings.card and stripe_connected(settings)):
        raise InvalidState(_("This business does not take card payments."))
    with booking_transaction():
        locked = (
            CustomerPass.objects.select_for_update(of=("self",))
            .select_related("product", "customer")
            .get(pk=customer_pass.pk)
        )
        if locked.active:
            raise InvalidState(_("This pass is active already."))
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .filter(customer_pass=locked, method=Method.CARD, state=PaymentState.PENDING)
            .first()
        )
        if payment is None:
            raise InvalidState(_("This pass has no card payment waiting."))
        created = payment.expires_at is None
        if not created and payment.expires_at is not None and payment.expires_at <= now:
            raise InvalidState(_("The time to pay for this pass has run out. Please buy it again."))
        if created:
            # The hold the sweep reads: a checkout left open past it is failed.
            payment.provider = PROVIDER
            payment.expires_at = now + timedelta(minutes=settings.hold_minutes)
            payment.save(update_fields=["provider", "expires_at", "updated_at"])
            logged(
                payment,
                PAYMENT,
                "checkout_started",
                {"provider": (None, PROVIDER), "expires_at": (None, payment.expires_at)},
            )
    return _checkout_open(
        payment,
        settings=settings,
        created=created,
        booking_id=None,
        description=locked.product.text_in("name", company=company),
        customer_email=locked.customer.email,
        success_url=success_url,
        cancel_url=cancel_url,
        now=now,
        unavailable=CardUnavailable(for_pass=True),
    )


def _checkout_open(
    payment: Payment,
    *,
    settings: PaymentSettings,
    created: bool,
    booking_id: str | None,
    description: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    now: datetime,
    unavailable: CardUnavailable,
) -> Payment:
    """The provider's checkout of `payment` (committed, pending), outside any
    transaction; `created` says this call made the hold. The provider down or refusing
    a new hold: the payment released (failed, its booking if any cancelled) and
    `unavailable` raised."""
    if payment.checkout_url:
        return payment
    try:
        checkout = _provider(settings).create_checkout(
            payment_id=payment.pk,
            booking_id=booking_id,
            amount=payment.amount,
            currency=payment.currency,
            description=description,
            customer_email=customer_email,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=payment.expires_at or now,
            idempotency_key=f"checkout-{payment.pk}",
        )
    except PaymentProviderError as exc:
        logger.warning("card checkout of payment %s failed: %s", payment.pk, exc)
        if not created:
            # A second click while the first one's call is still under way (the
            # provider answers 409 to the same key): that one keeps the hold.
            raise InvalidState(
                _("Your payment page is being prepared: try again in a moment.")
            ) from None
        payment_release(
            payment,
            reason=_("Card payments were not available when the customer tried to pay."),
            now=now,
            notify_customer=False,
        )
        raise unavailable from None
    payment.provider_ref = checkout.id
    payment.checkout_url = checkout.url
    payment.save(update_fields=["provider_ref", "checkout_url", "updated_at"])
    return payment


# -- the sweep --------------------------------------------------------------------------


def card_holds_release(*, now: datetime) -> int:
    """Release every hold whose time ran out; returns how many payments were settled
    (failed and released, or paid just in time).

    For each pending card payment past `expires_at`, oldest first: its checkout is
    expired at the provider (outside any transaction). `complete` means the customer
    paid before it closed: the payment is marked paid (its webhook then finds it
    paid). Otherwise, or when the provider refuses (the checkout unknown there), the
    payment fails and its booking is cancelled by the system. The provider down: left
    for the next run, the booking still held.
    Then refunds whose provider call went unanswered are asked again (same key).
    """
    settled = 0
    # Read at once: the loop writes, and a cursor left open across the writes and the
    # network calls would hold SQLite's read lock.
    due = list(
        Payment.objects.filter(method=Method.CARD, state=PaymentState.PENDING, expires_at__lte=now)
        .select_related("company")
        .order_by("expires_at", "id")[:BATCH]
    )
    for payment in due:
        settings = payment_settings_or_defaults(payment.company)
        status = ""
        if payment.provider_ref:
            try:
                status = _provider(settings).expire_checkout(payment.provider_ref)
            except ProviderDown as exc:
                logger.warning("expiring checkout of payment %s: %s", payment.pk, exc)
                continue
            except ProviderRefused as exc:
                logger.warning("expiring checkout of payment %s refused: %s", payment.pk, exc)
        try:
            if status == COMPLETE:
                _paid_in_time(payment, now=now)
                settled += 1
            elif payment_release(
                payment,
                reason=_("The card payment was not completed in time."),
                now=now,
                notify_customer=True,
            ):
                settled += 1
        except InvalidState:
            continue  # paid or failed meanwhile (its webhook came first)
    _refunds_retry(now=now)
    return settled


def _paid_in_time(payment: Payment, *, now: datetime) -> None:
    """The checkout completed just before the sweep closed it: paid, when the booking
    still waits for it; otherwise failed, and its completed webhook refunds it. One
    whose webhook reported another amount is failed, the booking left for staff."""
    with booking_transaction():
        booking = (
            Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
            if payment.booking_id is not None
            else None
        )
        mismatch = WebhookEvent.objects.filter(payment=payment, outcome=MISMATCH).exists()
        if mismatch:
            # Stripe reported another amount than ours: staff look at it, the booking
            # keeps its place meanwhile.
            payment_fail(
                payment=payment,
                reason=_("Stripe reported another amount: check this payment in Stripe."),
                now=now,
            )
        elif (
            booking is not None
            and booking.is_active
            and booking.payment_status == PaymentStatus.PENDING
        ) or (booking is None and payment.customer_pass_id is not None):
            # A pass holds no one's time: paid just in time, it is activated.
            payment_mark_paid(payment=payment, now=now)
        else:
            payment_fail(payment=payment, reason=_("Paid after the booking was released."), now=now)


def _refunds_retry(*, now: datetime) -> None:
    unanswered = list(
        Refund.objects.filter(
            state=RefundState.PENDING,
            provider_ref="",
            payment__method=Method.CARD,
            created_at__gte=now - REFUND_RETRY,
        ).select_related("payment", "payment__company")[:BATCH]
    )
    for refund in unanswered:
        _refund_call(refund, now=now)


# -- refunds ----------------------------------------------------------------------------


def card_refund(
    *, payment: Payment, amount: Decimal, reason: str, now: datetime, after_commit: bool = False
) -> Refund:
    """Give `amount` of a paid card payment back to the card.

    Called inside a caller's transaction (a cancel's refund), pass `after_commit=True`:
    the provider's call then waits for that transaction's commit (on_commit) and the
    pending Refund is returned; without it the call follows this function's own
    transaction, which is the commit only when no outer one is open.

    Side effects, in order:
    1. validate: the amount (a positive Decimal in the currency's minor units), the reason
    2. lock: the booking row, then the payment row
    3. re-check: a card payment, paid (or partly refunded) at the provider; the amount
       at most what is left after the refunds done or under way
    4. write: a pending Refund; an audit entry on the payment
    5. after the commit: the provider's refund (idempotency key `refund-<id>`); its
       answer makes the refund `done` (the payment's refunded total and state follow,
       and the booking's payment status `refunded` once all of it came back) or
       `failed`. The provider down: the refund stays pending and the sweep asks again.
    Raises ValidationFailed or InvalidState; nothing is written then.
    """
    if isinstance(amount, float) or not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimals, never floats")
    reason = _clean_note("reason", reason)
    if amount <= 0 or quantize(amount, payment.currency) != amount:
        raise ValidationFailed(fields={"amount": [_("Enter an amount above zero.")]})
    with booking_transaction():
        if payment.booking_id is not None:
            Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if locked.method != Method.CARD or not locked.provider_payment:
            raise InvalidState(_("Only a card payment received by the provider can go back."))
        if locked.state not in (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED):
            raise InvalidState(_("This payment was not received, or was refunded already."))
        refund = _refund_create(locked, amount, reason)
    if after_commit:
        # Lost (the process dies before its commit hook runs): the sweep asks again.
        transaction.on_commit(lambda: _refund_call(refund, now=now))
        return refund
    return _refund_call(refund, now=now)


def _refund_create(payment: Payment, amount: Decimal, reason: str) -> Refund:
    """A pending Refund of `payment` (locked by the caller), refused beyond what is left."""
    left = payment.amount - _refunds_total(payment, include_pending=True)
    if amount > left:
        raise ValidationFailed(
            fields={
                "amount": [
                    _("At most %(left)s can be refunded.") % {"left": money(left, payment.currency)}
                ]
            }
        )
    refund = Refund.objects.create(payment=payment, amount=amount, reason=reason[:200])
    logged(
        payment,
        PAYMENT,
        "refund_requested",
        {"refund": refund.pk, "amount": str(amount), "reason": reason or None},
    )
    return refund


def _refunds_total(payment: Payment, *, include_pending: bool) -> Decimal:
    states = [RefundState.DONE, RefundState.PENDING] if include_pending else [RefundState.DONE]
    total = Refund.objects.filter(payment=payment, state__in=states).aggregate(s=Sum("amount"))
    return total["s"] or Decimal("0")


def _refund_call(refund: Refund, *, now: datetime) -> Refund:
    """Ask the provider for `refund` (outside any transaction) and record its answer."""
    payment = refund.payment
    settings = payment_settings_or_defaults(payment.company)
    try:
        result = _provider(settings).refund(
            payment_intent=payment.provider_payment,
            amount=refund.amount,
            currency=payment.currency,
            idempotency_key=f"refund-{refund.pk}",
        )
    except ProviderDown as exc:
        logger.warning("refund %s not answered: %s", refund.pk, exc)
        return refund
    except ProviderRefused as exc:
        with booking_transaction():
            current = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
            if current.state == RefundState.PENDING:
                current.state = RefundState.FAILED
                current.save(update_fields=["state"])
                logged(
                    payment,
                    PAYMENT,
                    "refund_failed",
                    {"refund": refund.pk, "code": exc.code or None, "message": exc.message[:200]},
                )
        return current
    with booking_transaction():
        if payment.booking_id is not None:
            Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        current = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if current.state != RefundState.PENDING:
            return current
        current.provider_ref = result.id
        fields = ["provider_ref"]
        if result.state != RefundState.PENDING:
            current.state = result.state
            fields.append("state")
        if result.state == RefundState.DONE:
            current.done_at = now
            fields.append("done_at")
        current.save(update_fields=fields)
        logged(
            locked,
            PAYMENT,
            "refund_answered",
            {"refund": current.pk, "state": (RefundState.PENDING, current.state)},
        )
        if current.state == RefundState.DONE:
            _refunded_total_set(locked, _refunds_total(locked, include_pending=False), now=now)
    return current


def _refunded_total_set(payment: Payment, total: Decimal, *, now: datetime) -> None:
    """`payment` (locked, with its booking) has `total` back at the provider: its
    refunded amount never goes down, its state follows; the booking it paid is
    `refunded` once all of it is back."""
    total = min(payment.amount, max(payment.refunded, total))
    if total == payment.refunded or total <= 0:
        return
    was = payment.state
    payment.refunded = total
    if was in (PaymentState.PAID, PaymentState.PARTIALLY_REFUNDED) or total == payment.amount:
        payment.state = (
            PaymentState.REFUNDED if total == payment.amount else PaymentState.PARTIALLY_REFUNDED
        )
    payment.save(update_fields=["refunded", "state", "updated_at"])
    logged(
        payment,
        PAYMENT,
        "refunded",
        {"state": (was, payment.state), "refunded": str(total), "at": now},
    )
    # A late payment (failed before it arrived) never paid its booking.
    if (
        payment.state == PaymentState.REFUNDED
        and was != PaymentState.FAILED
        and payment.booking_id is not None
    ):
        booking = Booking.objects.filter(pk=payment.booking_id).first()
        if booking is not None and booking.payment_status == PaymentStatus.PAID:
            others = (
                Payment.objects.filter(booking=booking, state=PaymentState.PAID)
                .exclude(pk=payment.pk)
                .exists()
            )
            if not others:
                booking_record_payment(booking=booking, status=PaymentStatus.REFUNDED)


# -- webhooks ---------------------------------------------------------------------------


def card_webhook(*, company: Company, payload: bytes, signature: str, now: datetime) -> str:
    """Act on one webhook call of the company's card provider; returns the outcome
    (PAID, RELEASED, DUPLICATE, ...), all of them answered 200.

    1. verify: the signature with the company's webhook secret, its age against `now`
       (the provider's parse_webhook). An authentic event of a type we do not handle
       is IGNORED.
    2. match: the event's metadata names this company and one of its card payments,
       whose checkout (or intent) the event is about; an event of no payment of ours
       (made outside Rendezvous on the same account) is IGNORED.
    3. once: a WebhookEvent row per event id; a second delivery is a DUPLICATE.
    4. act, in the same transaction as 3 (locks: booking, payment):
       - checkout.session.completed, paid: payment_mark_paid with the provider's amount
         and currency (a MISMATCH is recorded in the audit log, nothing else changes);
         the intent stored. The hold already released (payment failed, booking
         cancelled or paid otherwise): a Refund of all of it (LATE_REFUNDED), asked of
         the provider after the commit.
       - checkout.session.expired: the payment failed and the booking released.
       - payment_intent.payment_failed: an audit entry (the customer may try again on
         the same page).
       - charge.refunded: the payment's refunded total and state (a refund made in the
         provider's dashboard gets its Refund row).
    Raises WebhookRefused (answered 400) for a call not signed, stale or malformed,
    and for one naming another company or a checkout that is not its payment's:
    nothing is written then.
    """
    settings = payment_settings_or_defaults(company)
    try:
        event = _provider(settings).parse_webhook(payload, signature, now=now)
    except WebhookRefused as exc:
        if exc.authentic:
            return IGNORED
        raise
    if event.company_id is not None and event.company_id != company.pk:
        raise WebhookRefused(FOREIGN, f"company {event.company_id}")
    payment = _payment_of(company, event)
    if payment is None:
        return IGNORED
    with booking_transaction():
        if payment.booking_id is not None:
            Booking.objects.select_for_update(of=("self",)).get(pk=payment.booking_id)
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    company=company,
                    provider=PROVIDER,
                    event_id=event.id[:255],
                    type=event.type,
                    payment=locked,
                    received_at=now,
                )
        except IntegrityError:
            return DUPLICATE
        outcome, refund = _act(locked, event, now=now)
        record.outcome = outcome
        record.save(update_fields=["outcome"])
    if refund is not None:
        _refund_call(refund, now=now)
    return outcome


def _payment_of(company: Company, event: ProviderEvent) -> Payment | None:
    """The company's card payment the event is about; WebhookRefused when the event
    names one that is not the company's, or a checkout or intent that is not its own."""
    if event.payment_id is None:
        if event.company_id is None:
            return None  # an object made outside Rendezvous on the same account
        raise WebhookRefused(FOREIGN, "no payment")
    payment = Payment.objects.filter(
        pk=event.payment_id, company=company, method=Method.CARD
    ).first()
    if payment is None:
        raise WebhookRefused(FOREIGN, f"payment {event.payment_id}")
    if event.booking_id is not None and str(payment.booking_id) != event.booking_id:
        raise WebhookRefused(FOREIGN, "booking")
    if event.checkout_id and payment.provider_ref and event.checkout_id != payment.provider_ref:
        raise WebhookRefused(FOREIGN, "checkout")
    if (
        event.payment_intent
        and payment.provider_payment
        and event.payment_intent != payment.provider_payment
    ):
        raise WebhookRefused(FOREIGN, "payment intent")
    return payment


def _act(payment: Payment, event: ProviderEvent, *, now: datetime) -> tuple[str, Refund | None]:
    """What the event does to `payment` (locked, with its booking)."""
    if event.type == CHECKOUT_COMPLETED:
        return _completed(payment, event, now=now)
    if event.type == CHECKOUT_EXPIRED:
        if payment.state != PaymentState.PENDING:
            return IGNORED, None
        payment_release(
            payment,
            reason=_("The card payment was not completed in time."),
            now=now,
            notify_customer=True,
        )
        return RELEASED, None
    if event.type == PAYMENT_FAILED:
        logged(
            payment,
            PAYMENT,
            "card_declined",
            {"code": event.failure_code or None, "event": event.id},
            kind=SYSTEM,
        )
        return DECLINED, None
    if event.type == CHARGE_REFUNDED:
        return _charge_refunded(payment, event, now=now), None
    return IGNORED, None


def _store_intent(payment: Payment, event: ProviderEvent) -> None:
    if event.payment_intent and not payment.provider_payment:
        payment.provider_payment = event.payment_intent
        fields = ["provider_payment", "updated_at"]
        if not payment.provider_ref and event.checkout_id:
            payment.provider_ref = event.checkout_id
            fields.append("provider_ref")
        payment.save(update_fields=fields)


def _completed(
    payment: Payment, event: ProviderEvent, *, now: datetime
) -> tuple[str, Refund | None]:
    if event.payment_status != "paid":
        return IGNORED, None  # a delayed method; its outcome is another event
    _store_intent(payment, event)
    if payment.state in (
        PaymentState.PAID,
        PaymentState.PARTIALLY_REFUNDED,
        PaymentState.REFUNDED,
    ):
        return ALREADY_PAID, None  # the sweep found it complete first
    booking = Booking.objects.get(pk=payment.booking_id) if payment.booking_id else None
    # A pass bought by card has no booking to hold: paid while pending, it is activated.
    holds = payment.state == PaymentState.PENDING and (
        (booking is None and payment.customer_pass_id is not None)
        or (
            booking is not None
            and booking.is_active
            and booking.payment_status == PaymentStatus.PENDING
        )
    )
    if holds:
        try:
            payment_mark_paid(
                payment=payment, amount=event.amount, currency=event.currency, now=now
            )
        except ValidationFailed as exc:
            logged(
                payment,
                PAYMENT,
                "amount_mismatch",
                {
                    "due": f"{payment.amount} {payment.currency}",
                    "got": f"{event.amount} {event.currency}",
                    "event": event.id,
                    "problem": exc.reason,
                },
                kind=SYSTEM,
            )
            return MISMATCH, None
        return PAID, None
    # Arrived after the hold was released: the time may be someone else's now.
    if payment.state == PaymentState.PENDING:
        payment.state = PaymentState.FAILED
        payment.note = _("Paid after the booking was released: refunded.")
    payment.paid_at = now
    payment.save(update_fields=["state", "note", "paid_at", "updated_at"])
    logged(
        payment,
        PAYMENT,
        "paid_late",
        {"amount": f"{event.amount} {event.currency}", "event": event.id},
        kind=SYSTEM,
    )
    if event.currency != payment.currency or event.amount <= 0:
        return MISMATCH, None
    left = payment.amount - _refunds_total(payment, include_pending=True)
    amount = min(event.amount, left)
    if amount <= 0:
        return LATE_REFUNDED, None
    refund = _refund_create(
        payment, amount, _("The payment arrived after the booking was released.")
    )
    return LATE_REFUNDED, refund


def _charge_refunded(payment: Payment, event: ProviderEvent, *, now: datetime) -> str:
    if event.refunded is None or event.currency != payment.currency:
        return MISMATCH
    _store_intent(payment, event)
    reported = min(event.refunded, payment.amount)
    known = _refunds_total(payment, include_pending=True)
    if reported > known:
        # Refunded in the provider's dashboard: recorded as the refund it is.
        Refund.objects.create(
            payment=payment,
            amount=reported - known,
            state=RefundState.DONE,
            reason=_("Refunded at the card provider."),
            done_at=now,
        )
    done = _refunds_total(payment, include_pending=False)
    # Refunds the provider answered "pending" are done once the charge counts them.
    answered = Refund.objects.filter(payment=payment, state=RefundState.PENDING).exclude(
        provider_ref=""
    )
    waiting = answered.aggregate(s=Sum("amount"))["s"] or Decimal("0")
    if waiting and reported >= done + waiting:
        answered.update(state=RefundState.DONE, done_at=now)
        done += waiting
    _refunded_total_set(payment, max(done, reported), now=now)
    return REFUNDED
