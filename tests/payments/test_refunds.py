"""Refunds on cancel (payments.domain.refunds), through real cancels: cards back at the
fake Stripe over real HTTP, pass entries and credits back, transfers listed for staff
to pay back by hand, a cancelled class session refunding every paid seat. Every
refusal is checked for its message and for the database unchanged; frozen clock."""

from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.core.errors import InvalidState
from rendezvous.core.models import AuditEntry
from rendezvous.payments.domain.bank import mark_received, transfer_start
from rendezvous.payments.domain.passes import PassProductFields, pass_product_create, pass_spend
from rendezvous.payments.domain.refunds import (
    cancel_refund,
    refund_mark_paid_back,
    refund_policy,
    refund_share,
    refunds_to_pay_back,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.domain.wallet import credits_spend, wallet_balance, wallet_grant
from rendezvous.payments.models import (
    CustomerPass,
    EntryReason,
    PassUse,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    Unit,
    WalletEntry,
)
from tests.conftest import NOW, TOMORROW_10, book, details
from tests.factories import CompanyFactory
from tests.payments.card_support import checkout, deliver_last, stored
from tests.payments.core_rows import payment_tables

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)
# Two hours before TOMORROW_10: past the practice's 24-hour cancel cut-off.
LATE = TOMORROW_10 - timedelta(hours=2)


def settings_of(company, **fields) -> None:
    payment_settings_update(company=company, fields=PaymentSettingsFields(**fields))


def take_everything(company) -> None:
    settings_of(
        company,
        credits=True,
        passes=True,
        bank_transfer=True,
        account_holder="Practice GmbH",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )


def video(practice, start=NEXT_WEEK) -> Booking:
    return book(practice, start, service=practice.video, staff=practice.staff[0]).booking


def card_paid(practice, fake, client, booking) -> Payment:
    payment = checkout(booking)
    fake.complete(payment.provider_ref)
    assert deliver_last(client, fake, practice.company).json()["outcome"] == "paid"
    payment.refresh_from_db()
    return payment


def cancelled_late(booking: Booking) -> None:
    """A customer's cancel after the cut-off, which booking_cancel refuses today: the
    row is cancelled as the cancel would, so cancel_refund sees what it would see."""
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED, cancelled_at=LATE)
    booking.refresh_from_db()


def refund_calls(fake) -> list:
    return fake.calls("POST", "/v1/refunds")


def due(*booking_list) -> set:
    pks = [b.pk for b in booking_list]
    return set(Booking.objects.filter(bookings.REFUND_DUE, pk__in=pks).values_list("pk", flat=True))


# -- the policy -------------------------------------------------------------------------


def test_the_share_is_all_for_staff_and_in_time_and_the_percent_after_the_cut_off(carded):
    booking = video(carded, TOMORROW_10)
    assert refund_share(booking, by_customer=False, now=LATE) == 1
    assert refund_share(booking, by_customer=True, now=TOMORROW_10 - timedelta(hours=24)) == 1
    assert refund_share(booking, by_customer=True, now=LATE) == 0  # the default: nothing
    settings_of(carded.company, refund_after_cutoff_percent=50)
    assert refund_share(booking, by_customer=True, now=LATE) == Decimal("0.5")


def test_the_amount_is_rounded_half_up_to_the_currencys_minor_unit(carded, fake, client):
    carded.video.price = Decimal("15.99")
    carded.video.save()
    booking = video(carded, TOMORROW_10)
    card_paid(carded, fake, client, booking)
    settings_of(carded.company, refund_after_cutoff_percent=50)
    assert refund_policy(booking, by_customer=True, now=LATE) == Decimal("8.00")  # 7.995
    assert refund_policy(booking, by_customer=False, now=LATE) == Decimal("15.99")
    assert refund_policy(video(carded), by_customer=False, now=NOW) == 0  # nothing paid


# -- cards ------------------------------------------------------------------------------


def test_a_customer_cancelling_in_time_gets_the_card_payment_back_after_the_commit(
    carded, fake, client, django_capture_on_commit_callbacks
):
    booking = video(carded)
    payment = card_paid(carded, fake, client, booking)
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER, now=NOW)
        # Written with the cancel; the provider is not called inside its transaction.
        assert Refund.objects.get(payment=payment).state == RefundState.PENDING
        assert refund_calls(fake) == []
    assert hooks
    [post] = refund_calls(fake)
    refund = Refund.objects.get(payment=payment)
    assert post.params == {"payment_intent": payment.provider_payment, "amount": "4000"}
    assert post.idempotency_key == f"refund-{refund.pk}"
    assert (refund.state, refund.amount, refund.reason) == (
        RefundState.DONE,
        Decimal("40.00"),
        "Booking cancelled",
    )
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.refunded) == (PaymentState.REFUNDED, Decimal("40.00"))
    assert booking.payment_status == PaymentStatus.REFUNDED
    assert due(booking) == set()
    assert list(refunds_to_pay_back(carded.company)) == []  # the provider pays it back


def test_a_customer_cancelling_after_the_cut_off_gets_the_companys_share(
    carded, fake, client, django_capture_on_commit_callbacks
):
    settings_of(carded.company, refund_after_cutoff_percent=50)
    booking = video(carded, TOMORROW_10)
    payment = card_paid(carded, fake, client, booking)
    before = stored()
    with pytest.raises(InvalidState) as refused:
        bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER, now=LATE)
    assert refused.value.message == (
        "This booking can only be cancelled up to 24 hours before it starts."
    )
    assert stored() == before
    cancelled_late(booking)
    with django_capture_on_commit_callbacks(execute=True):
        done = cancel_refund(booking=booking, by_customer=True, now=LATE)
    assert done.share == Decimal("0.5")
    [post] = refund_calls(fake)
    assert post.params["amount"] == "2000"
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.refunded) == (
        PaymentState.PARTIALLY_REFUNDED,
        Decimal("20.00"),
    )
    assert booking.payment_status == PaymentStatus.PAID  # half of it stays paid


def test_nothing_goes_back_after_the_cut_off_by_default(carded, fake, client):
    booking = video(carded, TOMORROW_10)
    payment = card_paid(carded, fake, client, booking)
    cancelled_late(booking)
    done = cancel_refund(booking=booking, by_customer=True, now=LATE)
    assert (done.share, done.refunds) == (0, [])
    assert refund_calls(fake) == []
    payment.refresh_from_db()
    assert (payment.state, payment.refunded) == (PaymentState.PAID, Decimal(0))


def test_staff_cancelling_after_the_cut_off_give_all_of_it_back(
    carded, fake, client, django_capture_on_commit_callbacks
):
    settings_of(carded.company, refund_after_cutoff_percent=50)
    booking = video(carded, TOMORROW_10)
    payment = card_paid(carded, fake, client, booking)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=LATE)
    [post] = refund_calls(fake)
    assert post.params["amount"] == "4000"
    payment.refresh_from_db()
    assert payment.state == PaymentState.REFUNDED


@pytest.mark.parametrize(("when", "amount"), [(LATE, "2000"), (NOW, "4000")])
def test_staff_cancelling_at_the_customers_request_refund_by_the_customers_policy(
    carded, fake, client, django_capture_on_commit_callbacks, when, amount
):
    settings_of(carded.company, refund_after_cutoff_percent=50)
    booking = video(carded, TOMORROW_10)
    card_paid(carded, fake, client, booking)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_cancel(
            booking=booking, actor=bookings.STAFF, now=when, customer_asked=True
        )
    [post] = refund_calls(fake)
    assert post.params["amount"] == amount
    entry = AuditEntry.objects.get(entity="booking", action="cancelled")
    assert entry.actor_kind == "staff" and entry.changes["customer_asked"] == [False, True]


def test_a_card_refund_stripe_refuses_leaves_the_booking_refund_due(
    carded, fake, client, django_capture_on_commit_callbacks
):
    booking = video(carded)
    payment = card_paid(carded, fake, client, booking)
    # Refunded in Stripe's Dashboard meanwhile, unknown to us: Stripe refuses ours.
    charge = fake.charges[fake.payment_intents[payment.provider_payment]["latest_charge"]]
    charge["amount_refunded"] = charge["amount"]
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    assert Refund.objects.get(payment=payment).state == RefundState.FAILED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED  # the cancel stands
    assert due(booking) == {booking.pk}


def test_a_pending_checkout_of_a_cancelled_booking_is_failed(carded, fake):
    booking = video(carded)
    payment = checkout(booking)
    bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER, now=NOW)
    payment.refresh_from_db()
    assert (payment.state, payment.note) == (
        PaymentState.FAILED,
        "The booking was cancelled: this payment is no longer due.",
    )
    assert not Refund.objects.exists()


# -- passes and credits -----------------------------------------------------------------


@pytest.fixture
def massage_pass(carded):
    take_everything(carded.company)
    return pass_product_create(
        company=carded.company,
        fields=PassProductFields(
            name="10 calls",
            entries=10,
            valid_days=30,
            price=Decimal(300),
            services=(carded.video.pk, carded.yoga.pk),
        ),
    )


def own_pass(customer, product) -> CustomerPass:
    return CustomerPass.objects.create(
        company=customer.company,
        customer=customer,
        product=product,
        entries_total=10,
        entries_left=10,
        active=True,
        expires_at=NOW + timedelta(days=30),
    )


def test_a_pass_entry_comes_back_on_a_cancel_in_time(carded, massage_pass):
    booking = video(carded)
    owned = own_pass(booking.customer, massage_pass)
    pass_spend(booking=booking, now=NOW)
    bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER, now=NOW)
    owned.refresh_from_db()
    booking.refresh_from_db()
    assert owned.entries_left == 10
    assert PassUse.objects.get(booking=booking).returned_at == NOW
    assert Payment.objects.get(booking=booking).state == PaymentState.REFUNDED
    assert booking.payment_status == PaymentStatus.REFUNDED


def test_a_pass_entry_is_kept_after_the_cut_off_even_with_a_share(carded, massage_pass):
    # An entry is not split: with less than all of it due, it stays spent.
    settings_of(carded.company, refund_after_cutoff_percent=50)
    booking = video(carded, TOMORROW_10)
    owned = own_pass(booking.customer, massage_pass)
    pass_spend(booking=booking, now=NOW)
    cancelled_late(booking)
    done = cancel_refund(booking=booking, by_customer=True, now=LATE)
    owned.refresh_from_db()
    payment = Payment.objects.get(booking=booking)
    assert done.kept == [payment] and done.passes == []
    assert owned.entries_left == 9
    assert PassUse.objects.get(booking=booking).returned_at is None
    assert payment.state == PaymentState.PAID
    assert AuditEntry.objects.filter(
        entity="payment", entity_id=str(payment.pk), action="entry_kept"
    ).exists()


def test_money_credits_go_back_to_the_wallet_in_full_or_by_share(carded, massage_pass):
    in_time = video(carded)
    late = video(carded, TOMORROW_10)
    customer = in_time.customer
    Booking.objects.filter(pk=late.pk).update(customer=customer)
    late.refresh_from_db()
    wallet_grant(customer=customer, unit=Unit.MONEY, amount=Decimal(100), note="Voucher")
    first = credits_spend(booking=in_time, now=NOW)
    second = credits_spend(booking=late, now=NOW)
    assert wallet_balance(customer, Unit.MONEY) == Decimal("20.00")

    bookings.booking_cancel(booking=in_time, actor=bookings.CUSTOMER, now=NOW)
    assert wallet_balance(customer, Unit.MONEY) == Decimal("60.00")
    back = WalletEntry.objects.get(payment=first, reason=EntryReason.CANCEL_RETURN)
    assert (back.amount, back.booking_id) == (Decimal("40.00"), in_time.pk)
    first.refresh_from_db()
    in_time.refresh_from_db()
    assert (first.state, first.refunded) == (PaymentState.REFUNDED, Decimal("40.00"))
    assert in_time.payment_status == PaymentStatus.REFUNDED

    settings_of(carded.company, refund_after_cutoff_percent=25)
    cancelled_late(late)
    cancel_refund(booking=late, by_customer=True, now=LATE)
    assert wallet_balance(customer, Unit.MONEY) == Decimal("70.00")
    second.refresh_from_db()
    assert (second.state, second.refunded) == (
        PaymentState.PARTIALLY_REFUNDED,
        Decimal("10.00"),
    )


def test_class_credits_come_back_whole(carded, massage_pass):
    seat = bookings.seat_reserve(
        company=carded.company,
        service=carded.yoga,
        session_id=carded.session.pk,
        start=None,
        details=details("credits"),
        now=NOW,
    ).booking
    wallet_grant(customer=seat.customer, unit=Unit.CREDIT, amount=Decimal(3), note="Intro")
    payment = credits_spend(booking=seat, now=NOW)
    assert wallet_balance(seat.customer, Unit.CREDIT) == 2
    bookings.booking_cancel(booking=seat, actor=bookings.CUSTOMER, now=NOW)
    assert wallet_balance(seat.customer, Unit.CREDIT) == 3
    payment.refresh_from_db()
    seat.refresh_from_db()
    assert payment.state == PaymentState.REFUNDED
    assert seat.payment_status == PaymentStatus.REFUNDED


# -- by hand ----------------------------------------------------------------------------


def transfer_paid(booking) -> Payment:
    payment = transfer_start(booking=booking, now=NOW)
    return mark_received(payment=payment, actor=None, now=NOW)


def test_a_bank_transfer_is_listed_to_pay_back_by_hand_until_staff_mark_it(
    carded, massage_pass, admin_user
):
    booking = video(carded)
    payment = transfer_paid(booking)
    other = CompanyFactory(slug="other")
    bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    [refund] = refunds_to_pay_back(carded.company)
    assert (refund.payment_id, refund.amount, refund.state) == (
        payment.pk,
        Decimal("40.00"),
        RefundState.PENDING,
    )
    assert list(refunds_to_pay_back(other)) == []
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID
    assert due(booking) == {booking.pk}  # still due: the money is not back yet

    later = NOW + timedelta(days=1)
    done = refund_mark_paid_back(refund=refund, actor=admin_user, now=later)
    assert (done.state, done.done_at) == (RefundState.DONE, later)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.refunded) == (PaymentState.REFUNDED, Decimal("40.00"))
    assert booking.payment_status == PaymentStatus.REFUNDED
    assert list(refunds_to_pay_back(carded.company)) == []
    assert due(booking) == set()
    entry = AuditEntry.objects.get(action="refund_paid_back")
    assert entry.entity_id == str(payment.pk)

    before = payment_tables(), list(Refund.objects.values())
    with pytest.raises(InvalidState) as refused:
        refund_mark_paid_back(refund=refund, actor=admin_user, now=later)
    assert refused.value.message == "This refund is not waiting to be paid back."
    assert (payment_tables(), list(Refund.objects.values())) == before


def test_a_card_refund_cannot_be_marked_paid_back_by_hand(
    carded, fake, client, admin_user, django_capture_on_commit_callbacks
):
    booking = video(carded)
    card_paid(carded, fake, client, booking)
    fake.fail_next(2, 503)  # the call and the SDK's one retry
    with django_capture_on_commit_callbacks(execute=True):
        bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    refund = Refund.objects.get()
    assert refund.state == RefundState.PENDING  # unanswered: the sweep asks again
    before = payment_tables(), list(Refund.objects.values())
    with pytest.raises(InvalidState) as refused:
        refund_mark_paid_back(refund=refund, actor=admin_user, now=NOW)
    assert refused.value.message == (
        "The card provider pays this refund back: it cannot be marked by hand."
    )
    assert (payment_tables(), list(Refund.objects.values())) == before


# -- a whole class session ----------------------------------------------------------------


def seat(practice, n) -> Booking:
    return bookings.seat_reserve(
        company=practice.company,
        service=practice.yoga,
        session_id=practice.session.pk,
        start=None,
        details=details(n),
        now=NOW,
    ).booking


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_class_session_refunds_every_paid_seat_by_its_method(
    carded, fake, client, massage_pass
):
    carded.session.capacity = 10
    carded.session.save()
    by_card, by_pass, by_transfer, unpaid = (seat(carded, n) for n in range(4))
    card = card_paid(carded, fake, client, by_card)
    owned = own_pass(by_pass.customer, massage_pass)
    pass_spend(booking=by_pass, now=NOW)
    transfer = transfer_paid(by_transfer)

    result = bookings.session_cancel(session=carded.session, now=NOW)

    [post] = refund_calls(fake)
    assert post.params == {"payment_intent": card.provider_payment, "amount": "1500"}
    card.refresh_from_db()
    owned.refresh_from_db()
    assert card.state == PaymentState.REFUNDED
    assert owned.entries_left == 10
    [by_hand] = refunds_to_pay_back(carded.company)
    assert (by_hand.payment_id, by_hand.amount) == (transfer.pk, Decimal("15.00"))
    statuses = dict(
        Booking.objects.filter(session=carded.session).values_list("pk", "payment_status")
    )
    assert statuses == {
        by_card.pk: PaymentStatus.REFUNDED,
        by_pass.pk: PaymentStatus.REFUNDED,
        by_transfer.pk: PaymentStatus.PAID,
        unpaid.pk: PaymentStatus.PENDING,
    }
    # The list of refunds due and the refunds agree: only the one to pay back by hand.
    assert [b.pk for b in result.refunds_due] == [by_transfer.pk]
    assert due(by_card, by_pass, by_transfer, unpaid) == {by_transfer.pk}


# -- nothing paid -----------------------------------------------------------------------


def test_a_booking_with_nothing_paid_is_cancelled_with_nothing_refunded(carded):
    free = book(carded, NEXT_WEEK + timedelta(hours=3), service=carded.service).booking
    unpaid = video(carded)
    before = payment_tables(), list(Refund.objects.values())
    for booking in (free, unpaid):
        bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER, now=NOW)
    assert Payment.objects.count() == 0
    assert (payment_tables()[:-2], list(Refund.objects.values())) == (
        before[0][:-2],
        before[1],
    )
    assert dict(
        Booking.objects.filter(pk__in=[free.pk, unpaid.pk]).values_list("pk", "payment_status")
    ) == {free.pk: PaymentStatus.NOT_REQUIRED, unpaid.pk: PaymentStatus.PENDING}
    assert not AuditEntry.objects.filter(entity="payment").exists()
