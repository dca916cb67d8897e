"""Rules about one booking, each in one place on Booking: the manage page, the domain
and the reveal rule all ask these."""

from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.companies.models import Company

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


START = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "before_start", "cancel", "reschedule"),
    [
        (S.CONFIRMED, timedelta(hours=24), True, True),  # exactly at the cancel cut-off
        (S.CONFIRMED, timedelta(hours=24) - timedelta(seconds=1), False, True),
        (S.CONFIRMED, timedelta(hours=2), False, True),  # exactly at the reschedule cut-off
        (S.CONFIRMED, timedelta(hours=2) - timedelta(seconds=1), False, False),
        (S.REQUESTED, timedelta(days=3), True, True),
        (S.CANCELLED, timedelta(days=3), False, False),
        (S.COMPLETED, timedelta(days=3), False, False),
    ],
)
def test_a_customer_may_cancel_and_move_until_the_company_cutoffs(
    status, before_start, cancel, reschedule
):
    company = Company(cancel_cutoff_hours=24, reschedule_cutoff_hours=2)
    booking = Booking(company=company, status=status, start=START)
    now = START - before_start
    assert booking.customer_may_cancel(now) is cancel
    assert booking.customer_may_reschedule(now) is reschedule
