"""Bank transfers: the payment and its reference, the instructions, staff marking it
received (the customer's email with the join link), the refusals, overdue transfers;
and payment_mark_paid / payment_fail, where every method ends."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.core.models import AuditEntry
from rendezvous.meetings.links import join_link
from rendezvous.meetings.models import JoinRole, JoinToken, MeetingAccount
from rendezvous.notifications.domain import outbox_deliver_due
from rendezvous.notifications.models import OutboxMessage
from rendezvous.payments.domain import bank
from rendezvous.payments.domain.bank import (
    ALPHABET,
    mark_received,
    overdue_transfers,
    payment_instructions,
    reference_valid,
    transfer_start,
    transfer_start_for_pass,
)
from rendezvous.payments.domain.charges import booking_amount, payment_fail, payment_mark_paid
from rendezvous.payments.domain.settings import (
    PaymentSettingsFields,
    enabled_methods,
    payment_settings_update,
)
from rendezvous.payments.models import (
    CustomerPass,
    Method,
    PassProduct,
    Payment,
    PaymentSettings,
    PaymentState,
)
from tests.conftest import NOW, TOMORROW_10, book, details, snapshot
from tests.factories import CompanyFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.integration

IBAN = "DE89370400440532013000"
NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


def take_transfers(company, **more) -> None:
    payment_settings_update(
        company=company,
        fields=PaymentSettingsFields(
            account_holder="Practice GmbH",
            iban=IBAN,
            bic="COBADEFFXXX",
            bank_transfer=True,
            **more,
        ),
    )


@pytest.fixture
def paid_video(practice):
    """The practice takes transfers; its video call costs 40.00 EUR, paid in advance."""
    take_transfers(practice.company)
    practice.video.requires_payment = True
    practice.video.price = Decimal("40.00")
    practice.video.save()
    return practice


def paid_booking(practice, start=NEXT_WEEK) -> Booking:
    return book(practice, start, service=practice.video).booking


def stored() -> tuple:
    """The payments, the bookings, the outbox and the audit log: what a refusal keeps."""
    return (
        list(Payment.objects.order_by("id").values()),
        snapshot(),
        list(Booking.objects.order_by("id").values_list("id", "payment_status")),
        OutboxMessage.objects.count(),
        AuditEntry.objects.count(),
    )


def test_a_transfer_is_one_pending_payment_with_a_reference_and_a_due_date(paid_video):
    booking = paid_booking(paid_video)
    payment = transfer_start(booking=booking, now=NOW)
    assert (payment.method, payment.state) == (Method.BANK_TRANSFER, PaymentState.PENDING)
    assert (payment.amount, payment.currency, payment.booking_id) == (
        Decimal("40.00"),
        "EUR",
        booking.pk,
    )
    assert len(payment.reference) == 9 and reference_valid(payment.reference)
    assert set(payment.reference) <= set(ALPHABET) and not set("01OI") & set(payment.reference)
    assert payment.due == date(2026, 12, 4)  # 1 December + 3 days
    # A second click finds the same payment.
    assert transfer_start(booking=booking, now=NOW + timedelta(hours=1)).pk == payment.pk
    assert Payment.objects.count() == 1
    entry = AuditEntry.objects.get(entity="payment", action="created")
    assert entry.changes["reference"] == [None, payment.reference]


def test_the_due_date_is_counted_in_the_companys_zone_and_never_after_the_booking(paid_video):
    later = paid_booking(paid_video)
    # 23:30 in UTC is already 2 December in Berlin.
    late_evening = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert transfer_start(booking=later, now=late_evening).due == date(2026, 12, 5)
    tomorrow = paid_booking(paid_video, TOMORROW_10)
    assert transfer_start(booking=tomorrow, now=NOW).due == date(2026, 12, 2)


def test_references_are_unique_per_company_and_drawn_again_on_a_collision(paid_video, monkeypatch):
    first = transfer_start(booking=paid_booking(paid_video), now=NOW)
    fresh = "ABCDEFGH" + bank.check_character("ABCDEFGH")
    draws = iter([first.reference, first.reference, fresh])
    monkeypatch.setattr(bank, "new_reference", lambda: next(draws))
    second = transfer_start(booking=paid_booking(paid_video), now=NOW)
    assert second.reference == fresh
    # Another company may hold the same reference: each matches its own statements.
    other = CompanyFactory()
    take_transfers(other)
    staff = StaffFactory(company=other)
    service = ServiceFactory(
        company=other, requires_payment=True, price=Decimal("10"), staff=[staff]
    )
    booking = bookings.booking_create(
        company=other, service=service, start=NEXT_WEEK, details=details("other"), now=NOW
    ).booking
    draws = iter([fresh])
    assert transfer_start(booking=booking, now=NOW).reference == fresh


def test_a_reference_with_one_character_mistyped_is_not_a_reference():
    reference = "HJKL2345" + bank.check_character("HJKL2345")
    assert reference_valid(reference)
    for i, right in enumerate(reference):
        for wrong in ALPHABET.replace(right, ""):
            assert not reference_valid(reference[:i] + wrong + reference[i + 1 :])
    for i in range(len(reference) - 1):
        swapped = reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]
        if swapped != reference:
            assert not reference_valid(swapped)


def test_the_instructions_give_the_account_the_amount_the_reference_and_the_due_date(
    paid_video,
):
    payment = transfer_start(booking=paid_booking(paid_video), now=NOW)
    assert payment_instructions(payment) == {
        "holder": "Practice GmbH",
        "iban": "DE89 3704 0044 0532 0130 00",
        "bic": "COBADEFFXXX",
        "amount": Decimal("40.00"),
        "amount_text": "€40.00",
        "currency": "EUR",
        "reference": payment.reference,
        "due": date(2026, 12, 4),
    }


def test_marking_a_transfer_received_emails_the_customer_the_join_link(paid_video, smtp):
    practice = paid_video
    staff = practice.staff[0]
    MeetingAccount.objects.create(
        company=practice.company, staff=staff, provider="static_link", url="https://room.example/a"
    )
    booking = book(practice, NEXT_WEEK, service=practice.video, staff=staff).booking
    payment = transfer_start(booking=booking, now=NOW)
    outbox_deliver_due()
    token = JoinToken.objects.get(meeting__booking=booking, role=JoinRole.CUSTOMER)
    link = join_link(token.nonce)
    [confirmation] = smtp.to(booking.email)
    assert link not in confirmation.data.decode()  # unpaid: no link yet

    paid = mark_received(payment=payment, actor=None, now=NOW + timedelta(hours=2))
    assert (paid.state, paid.paid_at) == (PaymentState.PAID, NOW + timedelta(hours=2))
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID
    outbox_deliver_due()
    [received] = [r for r in smtp.to(booking.email) if r is not confirmation]
    assert received.message["Subject"].startswith("Payment received: Video call")
    text = received.message.get_body(("plain",)).get_content()
    assert link in text
    assert "room.example" not in text  # our join link, never the raw room


def test_a_transfer_for_a_booking_cancelled_meanwhile_is_no_longer_due(paid_video, smtp):
    booking = paid_booking(paid_video)
    payment = transfer_start(booking=booking, now=NOW)
    bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    outbox_deliver_due()
    sent = len(smtp.to(booking.email))
    payment.refresh_from_db()
    # The cancel failed the transfer (payments.domain.refunds): money that comes anyway
    # is refused here and listed by the statement import, for staff to give back.
    assert payment.state == PaymentState.FAILED
    before = stored()
    with pytest.raises(InvalidState) as refused:
        mark_received(payment=payment, actor=None, now=NOW + timedelta(hours=1))
    assert refused.value.message == "This payment was cancelled: start a new one."
    assert stored() == before
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PENDING
    outbox_deliver_due()
    assert len(smtp.to(booking.email)) == sent


def test_a_pass_bought_by_transfer_gets_its_own_payment(paid_video):
    company = paid_video.company
    product = PassProduct.objects.create(
        company=company, name="10 classes", entries=10, valid_days=90, price=Decimal("120")
    )
    booking = paid_booking(paid_video)
    owned = CustomerPass.objects.create(
        company=company,
        customer=booking.customer,
        product=product,
        entries_total=10,
        entries_left=10,
    )
    payment = transfer_start_for_pass(customer_pass=owned, now=NOW)
    assert (payment.customer_pass_id, payment.booking_id) == (owned.pk, None)
    assert (payment.amount, payment.currency, payment.due) == (
        Decimal("120.00"),
        "EUR",
        date(2026, 12, 4),
    )
    assert transfer_start_for_pass(customer_pass=owned, now=NOW).pk == payment.pk
    CustomerPass.objects.filter(pk=owned.pk).update(active=True)
    Payment.objects.filter(pk=payment.pk).delete()
    before = stored()
    with pytest.raises(InvalidState, match="This pass is paid already."):
        transfer_start_for_pass(customer_pass=owned, now=NOW)
    assert stored() == before


def cancelled(practice) -> Booking:
    booking = paid_booking(practice)
    return bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)


def card_under_way(practice) -> Booking:
    booking = paid_booking(practice)
    amount, currency = booking_amount(booking)
    Payment.objects.create(
        company=practice.company,
        booking=booking,
        method=Method.CARD,
        amount=amount,
        currency=currency,
    )
    return booking


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: book(p, NEXT_WEEK).booking, "This booking has nothing left to pay."),
        (cancelled, "This booking was cancelled: there is nothing to pay."),
        (
            card_under_way,
            "Another payment of this booking is under way: finish or cancel it first.",
        ),
    ],
)
def test_a_booking_that_cannot_be_paid_by_transfer_is_refused(paid_video, make, message):
    booking = make(paid_video)
    before = stored()
    with pytest.raises(InvalidState) as refused:
        transfer_start(booking=booking, now=NOW)
    assert refused.value.message == message
    assert stored() == before


@pytest.mark.parametrize(
    "fields",
    [
        PaymentSettingsFields(bank_transfer=False),
        # An account cleared behind the domain's back (the settings refuse it).
        None,
    ],
)
def test_a_company_that_takes_no_transfers_is_refused(paid_video, fields):
    booking = paid_booking(paid_video)
    if fields is None:
        PaymentSettings.objects.update(iban="")
    else:
        payment_settings_update(company=paid_video.company, fields=fields)
    before = stored()
    with pytest.raises(InvalidState) as refused:
        transfer_start(booking=booking, now=NOW)
    assert refused.value.message == "This business does not take bank transfers."
    assert stored() == before


def test_a_free_booking_has_nothing_to_transfer(paid_video):
    paid_video.video.price = Decimal("0")
    paid_video.video.save()
    booking = paid_booking(paid_video)
    before = stored()
    with pytest.raises(InvalidState, match="This booking has nothing left to pay."):
        transfer_start(booking=booking, now=NOW)
    assert stored() == before


def test_the_amount_is_the_price_per_participant_in_the_services_currency(paid_video):
    practice = paid_video
    practice.yoga.price = Decimal("12.50")
    practice.yoga.save()
    seats = bookings.seat_reserve(
        company=practice.company,
        service=practice.yoga,
        session_id=practice.session.pk,
        start=None,
        details=details("seats"),
        participants=3,
        now=NOW,
    ).booking
    assert booking_amount(seats) == (Decimal("37.50"), "EUR")
    practice.yoga.currency = "JPY"
    practice.yoga.price = Decimal("1500.50")
    practice.yoga.save()
    seats.refresh_from_db()
    assert booking_amount(seats) == (Decimal("4502"), "JPY")


def test_a_payment_marked_twice_or_after_failing_is_refused_and_changes_nothing(paid_video):
    booking = paid_booking(paid_video)
    payment = transfer_start(booking=booking, now=NOW)
    mark_received(payment=payment, actor=None, now=NOW)
    before = stored()
    with pytest.raises(InvalidState) as refused:
        mark_received(payment=payment, actor=None, now=NOW)
    assert refused.value.message == "This payment was already received."
    assert stored() == before
    with pytest.raises(InvalidState, match="This payment was already received."):
        payment_fail(payment=payment, reason="Too late", now=NOW)
    assert stored() == before

    other = transfer_start(booking=paid_booking(paid_video), now=NOW)
    payment_fail(payment=other, reason="Customer asked to pay on site", now=NOW)
    before = stored()
    with pytest.raises(InvalidState) as refused:
        mark_received(payment=other, actor=None, now=NOW)
    assert refused.value.message == "This payment was cancelled: start a new one."
    assert stored() == before


def test_only_a_transfer_is_marked_received_by_staff(paid_video):
    booking = card_under_way(paid_video)
    payment = Payment.objects.get(booking=booking)
    before = stored()
    with pytest.raises(InvalidState) as refused:
        mark_received(payment=payment, actor=None, now=NOW)
    assert refused.value.message == "Only a bank transfer is marked received here."
    assert stored() == before


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"amount": Decimal("39.99")}, "amount", "€40.00 is due, not €39.99."),
        ({"amount": Decimal("40.001")}, "amount", "€40.00 is due, not 40.001 EUR."),
        ({"currency": "usd"}, "currency", "This payment is in EUR, not USD."),
        (
            {"note": "paid\nby Bob"},
            "note",
            "At most 500 characters, no control characters such as line breaks.",
        ),
        (
            {"note": "x" * 501},
            "note",
            "At most 500 characters, no control characters such as line breaks.",
        ),
    ],
)
def test_money_that_does_not_match_the_payment_is_refused(paid_video, given, field, message):
    payment = transfer_start(booking=paid_booking(paid_video), now=NOW)
    before = stored()
    with pytest.raises(ValidationFailed) as refused:
        payment_mark_paid(payment=payment, now=NOW, **given)
    assert refused.value.fields == {field: [message]}
    assert stored() == before


def test_the_amount_that_matches_is_accepted_however_it_is_written(paid_video):
    payment = transfer_start(booking=paid_booking(paid_video), now=NOW)
    paid = payment_mark_paid(
        payment=payment, amount=Decimal("40.0"), currency=" eur", note="Cash at the desk", now=NOW
    )
    paid.refresh_from_db()
    assert (paid.state, paid.note) == (PaymentState.PAID, "Cash at the desk")
    with pytest.raises(TypeError):
        payment_mark_paid(payment=payment, amount=40.0, now=NOW)


def test_a_failed_transfer_leaves_the_booking_waiting_for_another_payment(paid_video):
    booking = paid_booking(paid_video)
    first = transfer_start(booking=booking, now=NOW)
    failed = payment_fail(payment=first, reason="  Abandoned ", now=NOW)
    assert (failed.state, failed.note) == (PaymentState.FAILED, "Abandoned")
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PENDING
    second = transfer_start(booking=booking, now=NOW)
    assert second.pk != first.pk and second.reference != first.reference
    before = stored()
    with pytest.raises(ValidationFailed) as refused:
        payment_fail(payment=second, reason="line\nbreak", now=NOW)
    assert refused.value.fields == {
        "reason": ["At most 500 characters, no control characters such as line breaks."]
    }
    assert stored() == before


def test_money_for_a_booking_already_paid_is_kept_on_the_payment_without_a_second_email(
    paid_video,
):
    booking = paid_booking(paid_video)
    payment = transfer_start(booking=booking, now=NOW)
    bookings.booking_record_payment(booking=booking, status=PaymentStatus.PAID)
    emails = OutboxMessage.objects.count()
    paid = mark_received(payment=payment, actor=None, now=NOW)
    assert paid.state == PaymentState.PAID
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID
    assert OutboxMessage.objects.count() == emails


def test_staff_see_the_transfers_overdue_for_their_company_only(paid_video):
    company = paid_video.company
    soon = transfer_start(booking=paid_booking(paid_video, TOMORROW_10), now=NOW)  # due 2 Dec
    later = transfer_start(booking=paid_booking(paid_video), now=NOW)  # due 4 Dec
    paid = transfer_start(booking=paid_booking(paid_video), now=NOW)
    mark_received(payment=paid, actor=None, now=NOW)
    assert overdue_transfers(company, date(2026, 12, 2)) == []
    assert overdue_transfers(company, date(2026, 12, 3)) == [soon]
    assert overdue_transfers(company, date(2026, 12, 10)) == [soon, later]
    assert overdue_transfers(CompanyFactory(), date(2026, 12, 10)) == []


def test_a_company_that_never_set_up_payments_is_refused_and_gets_no_settings_row(practice):
    practice.video.requires_payment = True
    practice.video.save()
    booking = paid_booking(practice)
    before = stored()
    with pytest.raises(InvalidState, match="This business does not take bank transfers."):
        transfer_start(booking=booking, now=NOW)
    assert enabled_methods(practice.company, practice.video) == []
    assert stored() == before and not PaymentSettings.objects.exists()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_transfer_and_two_receipts_pay_it_once(transactional_db):
    from rendezvous.notifications.events import Event
    from tests.bookings.test_concurrency import race

    company = CompanyFactory(slug="race-pay")
    take_transfers(company)
    staff = StaffFactory(company=company)
    service = ServiceFactory(
        company=company, requires_payment=True, price=Decimal("25"), staff=[staff]
    )
    booking = bookings.booking_create(
        company=company, service=service, start=NEXT_WEEK, details=details("race"), now=NOW
    ).booking
    assert race([lambda: transfer_start(booking=booking, now=NOW)] * 2) == ["ok", "ok"]
    payment = Payment.objects.get(booking=booking)
    answers = race([lambda: mark_received(payment=payment, actor=None, now=NOW)] * 2)
    assert sorted(answers) == ["invalid_state", "ok"]
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert OutboxMessage.objects.filter(booking=booking, event=Event.PAYMENT_CONFIRMED).count() == 1


def test_a_transfer_overdue_cancels_its_booking_where_the_company_asks_for_it(paid_video, smtp):
    practice = paid_video
    payment_settings_update(
        company=practice.company, fields=PaymentSettingsFields(cancel_unpaid_transfers=True)
    )
    booking = paid_booking(practice)
    payment = transfer_start(booking=booking, now=NOW)
    assert payment.due == NOW.date() + timedelta(days=3)
    # On its due day it is still waiting.
    assert bank.overdue_transfers_cancel(now=NOW + timedelta(days=3)) == 0
    booking.refresh_from_db()
    assert booking.is_active
    # The day after, the booking is cancelled, its time free, and the customer told.
    outbox_deliver_due()
    sent = len(smtp.to(booking.email))
    assert bank.overdue_transfers_cancel(now=NOW + timedelta(days=4)) == 1
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert not booking.is_active and payment.state == PaymentState.FAILED
    assert "did not arrive by its due date" in payment.note
    outbox_deliver_due()
    assert len(smtp.to(booking.email)) == sent + 1
    assert bank.overdue_transfers_cancel(now=NOW + timedelta(days=5)) == 0  # once


def test_a_company_that_keeps_overdue_bookings_only_lists_them(paid_video):
    booking = paid_booking(paid_video)
    payment = transfer_start(booking=booking, now=NOW)
    before = stored()
    assert bank.overdue_transfers_cancel(now=NOW + timedelta(days=10)) == 0
    assert stored() == before
    later = (NOW + timedelta(days=10)).date()
    assert bank.overdue_transfers(paid_video.company, later) == [payment]
