"""The demo's back office part (demo.seed.demo_seed calls it): a senior and a junior user beside the demo admin, all with the demo's published
password, and for `week=True` this week's bookings, so the calendar is not empty.

The bookings are made the way staff make them (booking_create, source `staff`), with
no emails: the demo customers' addresses do not exist, and a week of "New booking"
emails to the demo staff would bury the first real one.
"""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from rendezvous.bookings.domain import CustomerDetails, booking_create
from rendezvous.bookings.models import Booking, BookingSource
from rendezvous.catalog.models import Service, ServiceKind
from rendezvous.companies.models import Company, Membership, Role, StaffMember
from rendezvous.core.errors import DomainError

# username, role, tied to the first staff member (juniors see only their own column)
USERS = [("senior", Role.SENIOR, False), ("junior", Role.JUNIOR, True)]

CUSTOMERS = [
    ("Lena", "Fischer"),
    ("Mads", "Nielsen"),
    ("Ana", "Ionescu"),
    ("Lucía", "García"),
    ("Tom", "Becker"),
    ("Sofie", "Larsen"),
    ("Mihai", "Popa"),
    ("Carmen", "Ruiz"),
]
# Wall times tried each day for each staff member; those outside their hours or taken
# are skipped (booking_create refuses them, as it would for staff).
TIMES = [time(9), time(10, 30), time(13), time(14, 30), time(16)]


def demo_users(company: Company, *, password: str) -> None:
    User = get_user_model()
    first = StaffMember.objects.filter(company=company).order_by("id").first()
    for username, role, tied in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, f"{username}@demo.example", password)
        Membership.objects.get_or_create(
            company=company,
            user=user,
            defaults={"role": role, "staff": first if tied else None},
        )


def demo_week(company: Company, today: date) -> int:
    """Bookings from Monday to Saturday of `today`'s week, once (none if the company
    has bookings). Returns how many were made."""
    if Booking.objects.filter(company=company).exists():
        return 0
    zone = company.zone
    monday = today - timedelta(days=today.weekday())
    # Earlier days of the week are booked as they would have been on Monday morning.
    now = min(timezone.now(), datetime.combine(monday, time(0), zone))
    services = list(
        Service.objects.filter(company=company, active=True, kind=ServiceKind.APPOINTMENT)
        .prefetch_related("staff")
        .order_by("position", "id")
    )
    made = 0
    turn = 0
    for offset in range(6):
        day = monday + timedelta(days=offset)
        for member in StaffMember.objects.filter(company=company, active=True).order_by("id"):
            given = [s for s in services if member in s.staff.all()]
            if not given:
                continue
            for index, at in enumerate(TIMES):
                if (index + offset + member.pk) % 3 == 0:
                    continue  # leave gaps to book into
                service = given[turn % len(given)]
                first, last = CUSTOMERS[turn % len(CUSTOMERS)]
                turn += 1
                try:
                    booking_create(
                        company=company,
                        service=service,
                        start=datetime.combine(day, at, zone),
                        details=CustomerDetails(
                            first_name=first,
                            last_name=last,
                            email=f"{first.lower()}.{last.lower()}@customers.example".replace(
                                "í", "i"
                            ),
                        ),
                        staff_id=member.pk,
                        source=BookingSource.STAFF,
                        public=False,
                        notify_customer=False,
                        notify_staff=False,
                        now=now,
                    )
                except DomainError:
                    continue
                made += 1
    return made
