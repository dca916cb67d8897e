"""The payment variables in emails, through the real SMTP server: a booking waiting for
its transfer is confirmed with the account, amount and reference and no join link; the
"payment received" email brings the link."""

from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.meetings.links import join_link
from rendezvous.meetings.models import JoinRole, JoinToken, MeetingAccount
from rendezvous.notifications.defaults import DEFAULTS
from rendezvous.notifications.domain import outbox_deliver_due, reminders_send_due
from rendezvous.notifications.events import Event
from rendezvous.notifications.payment_texts import PaymentTexts, payment_texts
from rendezvous.notifications.variables import REGISTRY
from rendezvous.payments.domain.bank import mark_received, transfer_start
from rendezvous.payments.domain.checkout import payment_start
from tests.conftest import NOW, TOMORROW_10, book
from tests.payments.test_bank_transfer import take_transfers

pytestmark = pytest.mark.integration

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


@pytest.fixture
def paid(practice):
    take_transfers(practice.company)
    for service in (practice.service, practice.video):
        service.requires_payment = True
        service.price = Decimal("40.00")
        service.save()
    return practice


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def test_an_unpaid_booking_is_emailed_what_is_due_and_how_to_pay_and_no_link(
    paid, smtp, frozen_now
):
    """The confirmation goes as the booking is made: it says what is due. Once the
    customer picked the transfer, it goes again with the account, amount and
    reference, and so do the reminders; the "payment received" email brings the join
    link."""
    staff = paid.staff[0]
    MeetingAccount.objects.create(
        company=paid.company, staff=staff, provider="static_link", url="https://room.example/a"
    )
    booking = book(paid, NEXT_WEEK, service=paid.video, staff=staff).booking
    outbox_deliver_due()
    link = join_link(JoinToken.objects.get(meeting__booking=booking, role=JoinRole.CUSTOMER).nonce)
    [confirmation] = smtp.to(booking.email)
    text = plain(confirmation)
    assert "€40.00 is due: choose how to pay on your booking's page." in text
    assert "Your personal video link will be sent once your payment is received." in text
    assert link not in confirmation.data.decode()

    payment = payment_start(booking=booking, method="bank_transfer", now=NOW)
    # A second click sends nothing more.
    assert payment_start(booking=booking, method="bank_transfer", now=NOW).pk == payment.pk
    outbox_deliver_due()
    [details] = [r for r in smtp.to(booking.email) if r is not confirmation]
    frozen_now.move_to(NEXT_WEEK - timedelta(hours=23))
    assert reminders_send_due() == 1
    outbox_deliver_due()
    [reminder] = [r for r in smtp.to(booking.email) if r not in (confirmation, details)]
    assert details.message["Subject"].startswith("Booking confirmed: Video call")
    assert reminder.message["Subject"].startswith("Reminder: Video call")
    for sent in (details, reminder):
        text = plain(sent)
        for shown in (
            "Please transfer €40.00 to this account:",
            "Account holder: Practice GmbH",
            "IBAN: DE89 3704 0044 0532 0130 00",
            "BIC: COBADEFFXXX",
            f"Reference: {payment.reference}",
            "Due by: December 4, 2026",
        ):
            assert shown in text, shown
        html = sent.message.get_body(("html",)).get_content()
        assert f"Reference: {payment.reference}" in html
        assert link not in sent.data.decode()
        assert "room.example" not in sent.data.decode()

    mark_received(payment=payment, actor=None, now=NOW + timedelta(hours=2))
    outbox_deliver_due()
    earlier = (confirmation, details, reminder)
    [received] = [r for r in smtp.to(booking.email) if r not in earlier]
    assert received.message["Subject"].startswith("Payment received: Video call")
    text = plain(received)
    assert link in text
    assert payment.reference not in text


def test_a_confirmation_sent_again_carries_the_transfers_reference(paid, smtp):
    booking = book(paid, NEXT_WEEK, service=paid.service).booking
    payment = transfer_start(booking=booking, now=NOW)
    outbox_deliver_due()
    bookings.booking_resend_confirmation(booking=booking)
    outbox_deliver_due()
    again = smtp.to(booking.email)[-1]
    text = plain(again)
    assert f"Reference: {payment.reference}" in text and "€40.00" in text


def test_a_booking_that_asks_for_no_payment_has_no_payment_line(practice, smtp):
    booking = book(practice, NEXT_WEEK).booking
    outbox_deliver_due()
    [confirmation] = smtp.to(booking.email)
    text = plain(confirmation)
    assert "transfer" not in text and "is due" not in text
    assert payment_texts(booking, language="en") == PaymentTexts()


def test_before_a_method_is_picked_the_amount_is_due_and_the_page_says_how(paid):
    booking = book(paid, NEXT_WEEK, service=paid.service).booking
    texts = payment_texts(booking, language="en")
    assert (texts.amount_due, texts.reference) == ("€40.00", "")
    assert texts.instructions == "€40.00 is due: choose how to pay on your booking's page."
    transfer = transfer_start(booking=booking, now=NOW)
    texts = payment_texts(booking, language="de")
    assert texts.reference == transfer.reference
    assert texts.amount_due == "40,00\xa0€"


def test_the_variables_are_registered_and_in_every_languages_confirmation():
    assert {"payment_instructions", "amount_due", "payment_reference"} <= set(REGISTRY)
    for event in (Event.BOOKING_CONFIRMED, Event.REQUEST_CONFIRMED, Event.REMINDER):
        for language, (_subject, body) in DEFAULTS[event].items():
            assert "[payment_instructions]" in body, (event, language)
