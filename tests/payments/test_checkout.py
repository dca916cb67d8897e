"""The one door every method is started through (payment_start), what a booking owes
(payment_state), paying on site, and staff recording money by hand (payment_record)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import PaymentStatus
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.payments.domain.bank import transfer_start
from rendezvous.payments.domain.charges import payment_mark_paid
from rendezvous.payments.domain.checkout import (
    on_site_start,
    payment_prefetch,
    payment_record,
    payment_start,
    payment_state,
)
from rendezvous.payments.domain.passes import PassProductFields, pass_product_create, pass_purchase
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.domain.wallet import wallet_balance, wallet_grant
from rendezvous.payments.models import Method, Payment, PaymentState, Unit
from tests.conftest import NOW, TOMORROW_10, book
from tests.payments.test_bank_transfer import stored, take_transfers

pytestmark = pytest.mark.integration

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


@pytest.fixture
def paid(practice):
    """Transfers and on site taken; the consultation (in person) and the video call cost
    40.00 EUR, paid in advance."""
    take_transfers(practice.company)
    for service in (practice.service, practice.video):
        service.requires_payment = True
        service.price = Decimal("40.00")
        service.save()
    return practice


def visit(practice):
    return book(practice, NEXT_WEEK, service=practice.service).booking


def video(practice):
    return book(practice, NEXT_WEEK, service=practice.video).booking


def test_a_booking_that_asks_for_no_payment_has_no_payment_state(practice):
    assert payment_state(book(practice, NEXT_WEEK).booking) is None


def test_a_booking_waiting_for_its_money_offers_the_companys_methods(paid):
    info = payment_state(visit(paid))
    assert info.as_dict() == {
        "state": "pending",
        "amount": Decimal("40.00"),
        "currency": "EUR",
        "method": None,
        "methods": ["bank_transfer", "on_site"],
        "checkout_url": None,
        "reference": None,
        "due": None,
    }
    assert info.waiting
    # A video meeting is not paid on site.
    assert payment_state(video(paid)).methods == ("bank_transfer",)


def test_a_bank_transfer_starts_through_the_door_with_its_reference(paid):
    booking = visit(paid)
    payment = payment_start(booking=booking, method="bank_transfer", now=NOW)
    assert (payment.method, payment.state) == (Method.BANK_TRANSFER, PaymentState.PENDING)
    info = payment_state(booking)
    assert (info.method, info.reference, info.due) == (
        "bank_transfer",
        payment.reference,
        date(2026, 12, 4),
    )
    assert not info.waiting


def test_paying_on_site_is_one_pending_payment_staff_mark_paid(paid):
    booking = visit(paid)
    payment = payment_start(booking=booking, method="on_site", now=NOW)
    assert (payment.method, payment.amount, payment.currency) == (
        Method.ON_SITE,
        Decimal("40.00"),
        "EUR",
    )
    # A second click finds the same payment.
    assert on_site_start(booking=booking, now=NOW).pk == payment.pk
    assert Payment.objects.count() == 1
    done = payment_record(booking=booking, method="on_site", actor=None, now=NOW)
    assert (done.pk, done.state) == (payment.pk, PaymentState.PAID)
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID
    assert payment_state(booking).state == "paid" and payment_state(booking).methods == ()


def test_staff_record_cash_for_a_booking_whose_transfer_never_came(paid):
    booking = visit(paid)
    transfer = transfer_start(booking=booking, now=NOW)
    paid_now = payment_record(
        booking=booking, method="on_site", amount=Decimal("40"), note="Cash", actor=None, now=NOW
    )
    transfer.refresh_from_db()
    assert transfer.state == PaymentState.FAILED
    assert (paid_now.method, paid_now.state, paid_now.note) == ("on_site", "paid", "Cash")
    assert payment_state(booking).method == "on_site"


def turn_off_transfers(practice):
    payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(bank_transfer=False)
    )


def cancelled(practice):
    booking = visit(practice)
    bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER)
    booking.refresh_from_db()
    return booking


def transfer_under_way(practice):
    booking = visit(practice)
    transfer_start(booking=booking, now=NOW)
    return booking


@pytest.mark.parametrize(
    ("make", "method", "error", "message"),
    [
        (visit, "cash", ValidationFailed, "Unknown payment method."),
        (
            lambda p: (turn_off_transfers(p), visit(p))[1],
            "bank_transfer",
            ValidationFailed,
            "This way of paying is not offered for this booking.",
        ),
        (video, "on_site", ValidationFailed, "This way of paying is not offered for this booking."),
        # Cards are off here (no Stripe account connected).
        (visit, "card", ValidationFailed, "This way of paying is not offered for this booking."),
        (
            lambda p: (
                payment_settings_update(
                    company=p.company, fields=PaymentSettingsFields(passes=True, credits=True)
                ),
                visit(p),
            )[1],
            "pass",
            InvalidState,
            "You have no active pass with an entry left for Consultation.",
        ),
        (
            lambda p: (
                payment_settings_update(
                    company=p.company, fields=PaymentSettingsFields(passes=True, credits=True)
                ),
                visit(p),
            )[1],
            "credits",
            InvalidState,
            "Not enough credits: the balance is €0.00.",
        ),
        (
            lambda p: book(p, NEXT_WEEK, service=p.cabin_service).booking,
            "on_site",
            ValidationFailed,
            "This way of paying is not offered for this booking.",
        ),
        (
            cancelled,
            "on_site",
            InvalidState,
            "This booking was cancelled: there is nothing to pay.",
        ),
        (
            transfer_under_way,
            "on_site",
            InvalidState,
            "Another payment of this booking is under way: finish or cancel it first.",
        ),
    ],
)
def test_a_payment_that_cannot_start_is_refused_and_changes_nothing(
    paid, make, method, error, message
):
    booking = make(paid)
    before = stored()
    with pytest.raises(error) as refused:
        payment_start(booking=booking, method=method, now=NOW)
    assert refused.value.reason == message
    assert stored() == before


def test_on_site_refuses_a_video_meeting_even_when_called_directly(paid):
    booking = video(paid)
    before = stored()
    with pytest.raises(ValidationFailed) as refused:
        on_site_start(booking=booking, now=NOW)
    assert refused.value.reason == "A video meeting has no site to pay at: pick another way."
    assert stored() == before


def paid_by_hand(practice):
    booking = visit(practice)
    payment_record(booking=booking, method="on_site", actor=None, now=NOW)
    booking.refresh_from_db()
    return booking


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [
        (
            visit,
            {"method": "credits"},
            ValidationFailed,
            "Record a payment made by bank transfer, on site or by card.",
        ),
        (
            visit,
            {"method": "on_site", "amount": Decimal("39.99")},
            ValidationFailed,
            "€40.00 is due, not €39.99.",
        ),
        (
            visit,
            {"method": "on_site", "note": "a\nb"},
            ValidationFailed,
            "At most 500 characters, no control characters such as line breaks.",
        ),
        (
            paid_by_hand,
            {"method": "on_site"},
            InvalidState,
            "This booking has nothing left to pay.",
        ),
        (
            cancelled,
            {"method": "on_site"},
            InvalidState,
            "This booking was cancelled: there is nothing to pay.",
        ),
    ],
)
def test_a_payment_staff_cannot_record_is_refused_and_changes_nothing(
    paid, make, kwargs, error, message
):
    booking = make(paid)
    if kwargs.get("amount"):
        transfer_start(booking=booking, now=NOW)  # the failed transfer is rolled back too
    before = stored()
    with pytest.raises(error) as refused:
        payment_record(booking=booking, actor=None, now=NOW, **kwargs)
    assert refused.value.reason == message
    assert stored() == before


def test_a_card_checkout_under_way_is_not_overridden_by_staff(paid):
    booking = visit(paid)
    Payment.objects.create(
        company=paid.company,
        booking=booking,
        method=Method.CARD,
        amount=Decimal("40.00"),
        currency="EUR",
        checkout_url="https://checkout.example/c/1",
    )
    info = payment_state(booking)
    assert (info.method, info.checkout_url) == ("card", "https://checkout.example/c/1")
    before = stored()
    with pytest.raises(InvalidState) as refused:
        payment_record(booking=booking, method="on_site", actor=None, now=NOW)
    assert refused.value.reason == (
        "A card payment of this booking is under way: wait for it or cancel it."
    )
    assert stored() == before


def test_the_prefetched_state_is_the_state_read_one_by_one(paid):
    rows = [visit(paid), video(paid), book(paid, NEXT_WEEK + timedelta(days=1)).booking]
    transfer_start(booking=rows[1], now=NOW)
    prefetched = payment_prefetch(rows)
    assert [payment_state(b, prefetched) for b in rows] == [payment_state(b) for b in rows]


def test_a_pass_entry_or_credits_pay_at_once_and_end_a_transfer_under_way(paid):
    company = paid.company
    payment_settings_update(
        company=company, fields=PaymentSettingsFields(passes=True, credits=True)
    )
    product = pass_product_create(
        company=company,
        fields=PassProductFields(
            name="5 visits",
            entries=5,
            valid_days=30,
            price=Decimal(150),
            services=(paid.service.pk,),
        ),
    )
    booking = visit(paid)
    waiting = transfer_start(booking=booking, now=NOW)
    owned = pass_purchase(
        customer=booking.customer, product=product, method=Method.ON_SITE, now=NOW
    )
    payment_mark_paid(payment=owned.payments.get(), now=NOW)
    spent = payment_start(booking=booking, method="pass", now=NOW)
    booking.refresh_from_db()
    owned.refresh_from_db()
    waiting.refresh_from_db()
    assert (spent.method, spent.state) == (Method.PASS, PaymentState.PAID)
    assert booking.payment_status == PaymentStatus.PAID and owned.entries_left == 4
    assert waiting.state == PaymentState.FAILED  # the transfer is not due any more

    # Money credits: 40.00 of 50.00 spent on the next visit; the one after is short.
    second = book(paid, NEXT_WEEK + timedelta(hours=2), service=paid.service, n="w").booking
    wallet_grant(customer=second.customer, unit=Unit.MONEY, amount=Decimal(50), note="Voucher")
    by_credits = payment_start(booking=second, method="credits", now=NOW)
    assert (by_credits.method, by_credits.amount) == (Method.CREDITS, Decimal("40.00"))
    assert wallet_balance(second.customer, Unit.MONEY) == Decimal("10.00")
    third = book(paid, NEXT_WEEK + timedelta(hours=4), service=paid.service, n="w").booking
    assert third.customer == second.customer
    before = stored()
    with pytest.raises(InvalidState) as short:
        payment_start(booking=third, method="credits", now=NOW)
    assert short.value.message == "Not enough credits: the balance is €10.00."
    assert stored() == before
