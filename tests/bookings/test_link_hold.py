"""The booking's half of the reveal rule, in one place (Booking.link_hold)."""

import pytest

from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus

pytestmark = pytest.mark.unit

S, P = BookingStatus, PaymentStatus


@pytest.mark.parametrize(
    ("status", "payment", "hold"),
    [
        (S.CONFIRMED, P.NOT_REQUIRED, ""),
        (S.CONFIRMED, P.PAID, ""),
        (S.COMPLETED, P.PAID, ""),
        (S.CONFIRMED, P.PENDING, "unpaid"),
        (S.CONFIRMED, P.REFUNDED, "unpaid"),
        (S.REQUESTED, P.NOT_REQUIRED, "unconfirmed"),
        (S.REQUESTED, P.PENDING, "unconfirmed"),
        (S.CANCELLED, P.PAID, "revoked"),
        (S.CANCELLED, P.PENDING, "revoked"),
    ],
)
def test_a_booking_holds_its_link_back_until_confirmed_and_paid(status, payment, hold):
    assert Booking(status=status, payment_status=payment).link_hold() == hold
