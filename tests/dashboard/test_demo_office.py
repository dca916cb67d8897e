"""The demo's back office part: its three users and a week of bookings made the way
staff make them, sending nothing."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model

from rendezvous.bookings.models import Booking, BookingSource
from rendezvous.companies.models import Membership, Role, StaffMember
from rendezvous.demo.seed import DEMO_ADMIN_PASSWORD, ZONE, demo_seed
from rendezvous.notifications.models import OutboxMessage

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@time_machine.travel("2026-12-02 07:00+00:00", tick=False)  # a Wednesday
def test_the_demo_week_fills_the_calendar_without_emails(client):
    company = demo_seed(today=date(2026, 12, 2), week=True)
    rows = list(Booking.objects.filter(company=company))
    assert len(rows) > 20
    assert {b.source for b in rows} == {BookingSource.STAFF}
    days = {b.start.astimezone(ZONE).date() for b in rows}
    assert min(days) == date(2026, 11, 30) and max(days) <= date(2026, 12, 5)
    assert not OutboxMessage.objects.exists()
    # Seeding again adds nothing.
    demo_seed(today=date(2026, 12, 2), week=True)
    assert Booking.objects.filter(company=company).count() == len(rows)
    first = StaffMember.objects.filter(company=company).order_by("id").first()
    roles = {
        m.user.username: (m.role, m.staff_id)
        for m in Membership.objects.filter(company=company).select_related("user")
    }
    assert roles["senior"] == (Role.SENIOR, None)
    assert roles["junior"] == (Role.JUNIOR, first.pk)
    assert roles["admin"][0] == Role.ADMIN
    junior = get_user_model().objects.get(username="junior")
    assert junior.check_password(DEMO_ADMIN_PASSWORD)


def test_the_demo_without_its_week_has_no_bookings(db):
    company = demo_seed(week=False)
    assert not Booking.objects.filter(company=company).exists()
