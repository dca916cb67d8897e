"""The booking pop-up's "Payment received": a pending transfer is marked received with
its reference shown, a booking paid on site is recorded paid; the customer is emailed."""

from datetime import timedelta
from decimal import Decimal

import pytest

from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import OutboxMessage
from rendezvous.payments.domain.bank import transfer_start
from rendezvous.payments.domain.checkout import on_site_start
from rendezvous.payments.models import Method, Payment, PaymentState
from tests.conftest import NOW, TOMORROW_10, book
from tests.dashboard.test_office_bookings import signed_in
from tests.payments.test_bank_transfer import stored, take_transfers

pytestmark = [pytest.mark.integration]

NEXT_WEEK = TOMORROW_10 + timedelta(days=7)


@pytest.fixture
def paid(practice):
    take_transfers(practice.company)
    practice.service.requires_payment = True
    practice.service.price = Decimal("40.00")
    practice.service.save()
    return practice


def popup(client, booking) -> str:
    response = client.get(f"/office/bookings/{booking.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def received(client, booking):
    return client.post(f"/office/bookings/{booking.pk}/paid/")


def test_a_pending_transfer_shows_its_reference_and_is_marked_received(client, paid, team):
    booking = book(paid, NEXT_WEEK, staff=paid.staff[0]).booking
    payment = transfer_start(booking=booking, now=NOW)
    signed_in(client, team["senior"])
    page = popup(client, booking)
    assert f'<code class="reference">{payment.reference}</code>' in page
    assert "€40.00 · Bank transfer" in page and "Payment received" in page
    response = received(client, booking)
    assert response.status_code == 200
    assert "Payment recorded." in response.content.decode()
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    booking.refresh_from_db()
    assert booking.payment_status == PaymentStatus.PAID
    assert OutboxMessage.objects.filter(booking=booking, event=Event.PAYMENT_CONFIRMED).exists()
    assert "Payment received</button>" not in response.content.decode()


def test_a_booking_paid_on_site_is_recorded_by_the_same_button(client, paid, team):
    booking = book(paid, NEXT_WEEK, staff=paid.staff[0]).booking
    pending = on_site_start(booking=booking, now=NOW)
    signed_in(client, team["admin"])
    assert "Pay on site" in popup(client, booking)
    assert received(client, booking).status_code == 200
    pending.refresh_from_db()
    assert pending.state == PaymentState.PAID


def test_a_booking_without_a_chosen_method_is_recorded_as_paid_on_site(client, paid, team):
    booking = book(paid, NEXT_WEEK, staff=paid.staff[0]).booking
    signed_in(client, team["admin"])
    assert received(client, booking).status_code == 200
    payment = Payment.objects.get()
    assert (payment.method, payment.state, payment.amount) == (
        Method.ON_SITE,
        PaymentState.PAID,
        Decimal("40.00"),
    )


def test_paying_twice_is_refused_with_the_reason_and_changes_nothing(client, paid, team):
    booking = book(paid, NEXT_WEEK, staff=paid.staff[0]).booking
    signed_in(client, team["admin"])
    received(client, booking)
    before = stored()
    again = received(client, booking)
    assert again.status_code == 409
    assert "This booking has nothing left to pay." in again.content.decode()
    assert stored() == before


def test_a_junior_sees_no_button_and_cannot_post_it(client, paid, team):
    booking = book(paid, NEXT_WEEK, staff=paid.staff[0]).booking
    transfer_start(booking=booking, now=NOW)
    signed_in(client, team["junior"])
    assert "Payment received</button>" not in popup(client, booking)
    before = stored()
    refused = received(client, booking)
    assert refused.status_code == 409
    assert "You are not allowed to do this." in refused.content.decode()
    assert stored() == before
    assert Booking.objects.get().payment_status == PaymentStatus.PENDING


def test_cancelling_at_the_customers_request_refunds_by_the_policy(client, paid, team, frozen_now):
    from rendezvous.payments.domain.bank import mark_received  # noqa: PLC0415
    from rendezvous.payments.domain.settings import (  # noqa: PLC0415
        PaymentSettingsFields,
        payment_settings_update,
    )
    from rendezvous.payments.models import Refund, RefundState  # noqa: PLC0415

    payment_settings_update(
        company=paid.company, fields=PaymentSettingsFields(refund_after_cutoff_percent=50)
    )
    booking = book(paid, TOMORROW_10, staff=paid.staff[0]).booking
    unpaid = book(paid, NEXT_WEEK, staff=paid.staff[0]).booking
    mark_received(payment=transfer_start(booking=booking, now=NOW), actor=None, now=NOW)
    signed_in(client, team["senior"])
    assert 'name="customer_asked"' in popup(client, booking)
    assert 'name="customer_asked"' not in popup(client, unpaid)
    # The customer phones two hours before the start, past the 24-hour cut-off.
    frozen_now.move_to(TOMORROW_10 - timedelta(hours=2))
    response = client.post(
        f"/office/bookings/{booking.pk}/cancel/", {"notify": "on", "customer_asked": "on"}
    )
    assert response.status_code == 200
    [refund] = Refund.objects.all()
    assert (refund.amount, refund.state) == (Decimal("20.00"), RefundState.PENDING)
    assert "cancelled at the customer&#x27;s request" in popup(client, booking)
