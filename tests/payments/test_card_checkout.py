"""Card checkout against the fake Stripe over real HTTP: the hold, the link revealed by
the webhook and emailed, one session per double click, abandoned checkouts released
by the sweep, Stripe down at checkout, refunds. The adapter is never patched."""

from datetime import timedelta
from decimal import Decimal

import pytest
from huey.contrib.djhuey import HUEY

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import BookingStatus, PaymentStatus
from rendezvous.core.errors import InvalidState, ValidationFailed
from rendezvous.meetings.domain import meeting_view
from rendezvous.meetings.domain.reveal import CustomerViewer
from rendezvous.meetings.links import join_link
from rendezvous.meetings.models import JoinRole, JoinToken, MeetingAccount
from rendezvous.notifications.domain import outbox_deliver_due
from rendezvous.payments.domain.bank import transfer_start
from rendezvous.payments.domain.card import (
    CardUnavailable,
    card_holds_release,
    card_refund,
)
from rendezvous.payments.domain.settings import PaymentSettingsFields, payment_settings_update
from rendezvous.payments.models import Method, Payment, PaymentState, Refund, RefundState
from tests.conftest import NOW, TOMORROW_10, book, details
from tests.payments.card_support import (
    CANCEL,
    SUCCESS,
    checkout,
    deliver_last,
    free_staff,
    post_signed,
    stored,
)

pytestmark = pytest.mark.integration

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


def video_booking(practice, start=NEXT_WEEK):
    return book(practice, start, service=practice.video, staff=practice.staff[0]).booking


def test_a_class_seat_paid_by_card_shows_its_link_only_after_the_webhook(
    carded, fake, client, smtp
):
    practice = carded
    MeetingAccount.objects.create(
        company=practice.company,
        staff=practice.staff[0],
        provider="static_link",
        url="https://room.example/yoga",
    )
    booking = bookings.seat_reserve(
        company=practice.company,
        service=practice.yoga,
        session_id=practice.session.pk,
        start=None,
        details=details("seat"),
        now=NOW,
    ).booking
    assert booking.payment_status == PaymentStatus.PENDING
    payment = checkout(booking)
    assert (payment.method, payment.state, payment.amount, payment.currency) == (
        Method.CARD,
        PaymentState.PENDING,
        Decimal("15.00"),
        "EUR",
    )
    assert payment.expires_at == NOW + timedelta(minutes=15)
    session = fake.sessions[payment.provider_ref]
    assert payment.checkout_url == session["url"]
    assert session["metadata"] == {
        "payment": str(payment.pk),
        "booking": str(booking.pk),
        "company": str(practice.company.pk),
    }
    assert session["success_url"] == SUCCESS and session["cancel_url"] == CANCEL

    viewer = CustomerViewer(booking.pk)
    hidden = meeting_view(booking=booking, viewer=viewer, now=NOW)
    assert (hidden.reason, hidden.join_url) == ("unpaid", None)
    outbox_deliver_due()
    token = JoinToken.objects.get(meeting__session=practice.session, booking=booking)
    assert token.role == JoinRole.CUSTOMER
    link = join_link(token.nonce)
    [confirmation] = smtp.to(booking.email)
    assert link not in confirmation.data.decode()

    fake.complete(payment.provider_ref)
    answer = deliver_last(client, fake, practice.company)
    assert answer.status_code == 200
    assert answer.json() == {"received": True, "outcome": "paid"}
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.paid_at) == (PaymentState.PAID, NOW)
    assert payment.provider_payment == fake.sessions[payment.provider_ref]["payment_intent"]
    assert booking.payment_status == PaymentStatus.PAID
    shown = meeting_view(booking=booking, viewer=viewer, now=NOW)
    assert (shown.reason, shown.join_url) == ("", link)

    outbox_deliver_due()
    [received] = [r for r in smtp.to(booking.email) if r is not confirmation]
    assert received.message["Subject"].startswith("Payment received: Yoga")
    text = received.message.get_body(("plain",)).get_content()
    assert link in text and "room.example" not in text


def test_a_double_click_on_pay_opens_one_checkout_session(carded, fake):
    booking = video_booking(carded)
    first = checkout(booking)
    second = checkout(booking, now=NOW + timedelta(seconds=1))
    assert (second.pk, second.checkout_url) == (first.pk, first.checkout_url)
    assert Payment.objects.filter(booking=booking).count() == 1
    [post] = fake.calls("POST", "/v1/checkout/sessions")
    assert post.idempotency_key == f"checkout-{first.pk}"
    assert len(fake.sessions) == 1


def test_paying_by_card_instead_ends_the_pending_transfer(carded, fake):
    payment_settings_update(
        company=carded.company,
        fields=PaymentSettingsFields(
            account_holder="Practice GmbH", iban="DE89370400440532013000", bank_transfer=True
        ),
    )
    booking = video_booking(carded)
    transfer = transfer_start(booking=booking, now=NOW)
    card = checkout(booking)
    transfer.refresh_from_db()
    assert (transfer.state, transfer.note) == (
        PaymentState.FAILED,
        "The customer chose to pay by card.",
    )
    assert card.method == Method.CARD and card.state == PaymentState.PENDING


def test_a_checkout_is_refused_without_cards_or_without_anything_to_pay(carded, fake):
    practice = carded
    unpaid = book(practice, NEXT_WEEK, service=practice.service).booking  # costs nothing
    cancelled = video_booking(practice, NEXT_WEEK + timedelta(hours=1))
    bookings.booking_cancel(booking=cancelled, actor=bookings.STAFF, now=NOW)
    waiting = video_booking(practice, NEXT_WEEK + timedelta(hours=2))
    before = stored()
    for booking, message in (
        (unpaid, "This booking has nothing left to pay."),
        (cancelled, "This booking was cancelled: there is nothing to pay."),
    ):
        with pytest.raises(InvalidState) as refused:
            checkout(booking)
        assert refused.value.message == message
    payment_settings_update(company=practice.company, fields=PaymentSettingsFields(card=False))
    before = stored()
    with pytest.raises(InvalidState) as refused:
        checkout(waiting)
    assert refused.value.message == "This business does not take card payments."
    assert stored() == before
    assert fake.requests == []


def test_stripe_down_at_checkout_tells_the_customer_and_frees_the_time(carded, fake):
    practice = carded
    ada = str(practice.staff[0].pk)
    booking = video_booking(practice)
    assert ada not in free_staff(practice, practice.video, NEXT_WEEK)
    fake.down()
    with pytest.raises(CardUnavailable) as refused:
        checkout(booking)
    assert refused.value.message.startswith("Card payments are not available right now.")
    assert refused.value.code == "invalid_state"
    payment = Payment.objects.get(booking=booking)
    assert payment.state == PaymentState.FAILED and payment.checkout_url == ""
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert ada in free_staff(practice, practice.video, NEXT_WEEK)


def test_a_refusal_by_stripe_at_checkout_frees_the_time_too(carded, fake):
    practice = carded
    practice.video.price = Decimal("0.10")  # below Stripe's smallest charge
    practice.video.save()
    booking = video_booking(practice)
    with pytest.raises(CardUnavailable):
        checkout(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert Payment.objects.get(booking=booking).state == PaymentState.FAILED
    assert fake.sessions == {}


def test_an_abandoned_checkout_is_released_by_the_sweep(carded, fake, frozen_now):
    practice = carded
    ada = str(practice.staff[0].pk)
    booking = video_booking(practice)
    payment = checkout(booking)
    assert card_holds_release(now=NOW + timedelta(minutes=14)) == 0
    assert ada not in free_staff(practice, practice.video, NEXT_WEEK)

    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    assert card_holds_release(now=later) == 1
    assert fake.sessions[payment.provider_ref]["status"] == "expired"
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.state == PaymentState.FAILED
    assert booking.status == BookingStatus.CANCELLED
    assert ada in free_staff(practice, practice.video, NEXT_WEEK)
    assert card_holds_release(now=later) == 0  # nothing left to release


def test_the_sweep_keeps_a_payment_made_just_before_the_hold_ran_out(
    carded, fake, client, frozen_now
):
    practice = carded
    booking = video_booking(practice)
    payment = checkout(booking)
    fake.complete(payment.provider_ref)  # the webhook is late: not delivered yet
    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    assert card_holds_release(now=later) == 1
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert (booking.status, booking.payment_status) == (BookingStatus.CONFIRMED, "paid")
    # Stripe's retry of the late event is signed when it is sent.
    payload, header = fake.signed_event(fake.deliveries[-1].event)
    answer = post_signed(client, practice.company, payload, header)
    assert answer.json() == {"received": True, "outcome": "already_paid"}
    payment.refresh_from_db()
    assert payment.provider_payment == fake.sessions[payment.provider_ref]["payment_intent"]


def test_the_sweep_waits_while_stripe_is_down(carded, fake, frozen_now):
    booking = video_booking(carded)
    payment = checkout(booking)
    later = NOW + timedelta(minutes=16)
    frozen_now.move_to(later)
    fake.fail_next(2, 503)  # the call and the SDK's one retry
    assert card_holds_release(now=later) == 0
    payment.refresh_from_db()
    assert payment.state == PaymentState.PENDING
    assert card_holds_release(now=later) == 1


def paid(practice, fake, client):
    booking = video_booking(practice)
    payment = checkout(booking)
    fake.complete(payment.provider_ref)
    assert deliver_last(client, fake, practice.company).json()["outcome"] == "paid"
    payment.refresh_from_db()
    return booking, payment


def test_a_refund_goes_back_to_the_card_in_parts(carded, fake, client):
    booking, payment = paid(carded, fake, client)
    intent = payment.provider_payment
    charge = fake.charges[fake.payment_intents[intent]["latest_charge"]]

    part = card_refund(payment=payment, amount=Decimal("10.00"), reason="Cancelled late", now=NOW)
    assert (part.state, part.amount, part.reason) == (
        RefundState.DONE,
        Decimal("10.00"),
        "Cancelled late",
    )
    [post] = fake.calls("POST", "/v1/refunds")
    assert post.idempotency_key == f"refund-{part.pk}"
    assert post.params == {"payment_intent": intent, "amount": "1000"}
    assert part.provider_ref.startswith("re_")
    assert charge["amount_refunded"] == 1000
    payment.refresh_from_db()
    assert (payment.state, payment.refunded) == (
        PaymentState.PARTIALLY_REFUNDED,
        Decimal("10.00"),
    )

    before = stored()
    with pytest.raises(ValidationFailed) as refused:
        card_refund(payment=payment, amount=Decimal("30.01"), reason="", now=NOW)
    assert refused.value.fields == {"amount": ["At most €30.00 can be refunded."]}
    assert stored() == before

    card_refund(payment=payment, amount=Decimal("30.00"), reason="", now=NOW)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.state, payment.refunded) == (PaymentState.REFUNDED, Decimal("40.00"))
    assert booking.payment_status == PaymentStatus.REFUNDED
    assert charge["amount_refunded"] == 4000
    # The charge.refunded that follows counts nothing twice.
    fake.refund_event(intent)
    assert deliver_last(client, fake, carded.company).json()["outcome"] == "refunded"
    payment.refresh_from_db()
    assert payment.refunded == Decimal("40.00")
    assert Refund.objects.filter(payment=payment).count() == 2


def test_a_refund_stripe_does_not_answer_is_asked_again_by_the_sweep(carded, fake, client):
    _booking, payment = paid(carded, fake, client)
    fake.fail_next(2, 503)  # the call and the SDK's one retry
    refund = card_refund(payment=payment, amount=Decimal("40.00"), reason="", now=NOW)
    assert (refund.state, refund.provider_ref) == (RefundState.PENDING, "")
    card_holds_release(now=NOW + timedelta(minutes=1))
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.state == RefundState.DONE and refund.provider_ref.startswith("re_")
    assert payment.state == PaymentState.REFUNDED
    assert len(fake.refunds) == 1


def test_only_a_received_card_payment_can_be_refunded(carded, fake):
    payment = checkout(video_booking(carded))
    before = stored()
    with pytest.raises(InvalidState):
        card_refund(payment=payment, amount=Decimal("1.00"), reason="", now=NOW)
    with pytest.raises(ValidationFailed):
        card_refund(payment=payment, amount=Decimal("0"), reason="", now=NOW)
    assert stored() == before
    assert fake.calls("POST", "/v1/refunds") == []


def test_the_sweep_runs_every_minute_in_the_worker():
    # Registered by the app's ready(), without importing the tasks module here.
    [sweep] = [t for t in HUEY._registry.periodic_tasks if t.name.endswith("release_card_holds")]
    assert sweep.validate_datetime(NOW) and sweep.validate_datetime(NOW + timedelta(minutes=1))


def test_the_customer_pays_by_card_through_the_api_and_is_sent_to_the_checkout(
    carded, fake, client
):
    created = bookings.booking_create(
        company=carded.company,
        service=carded.video,
        start=NEXT_WEEK,
        details=details("api"),
        now=NOW,
    )
    response = client.post(
        f"/api/v1/bookings/{created.booking.pk}/pay",
        data={"method": "card"},
        content_type="application/json",
        headers={"X-Booking-Token": created.manage_token},
    )
    assert response.status_code == 200, response.content
    answer = response.json()["payment"]
    [session] = fake.sessions.values()
    assert answer["method"] == "card" and answer["checkout_url"] == session["url"]
    [post] = fake.calls("POST", "/v1/checkout/sessions")
    # Stripe sends the customer back to their own booking page.
    assert f"/manage/{created.booking.pk}/" in post.form["success_url"]
