"""Staff hand an appointment to a colleague (booking_reschedule with staff_id)."""

from datetime import timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.core.errors import InvalidState, NotFound, SlotUnavailable
from rendezvous.core.models import AuditEntry
from rendezvous.meetings.models import JoinRole, JoinToken, Meeting, MeetingAccount
from rendezvous.notifications.models import OutboxMessage
from tests.conftest import NOW, TOMORROW_10, book, snapshot
from tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.integration


def test_staff_give_a_booking_to_a_colleague_at_a_new_time(practice):
    ada, ben, _cleo = practice.staff
    b = book(practice, TOMORROW_10, staff=ada).booking
    later = TOMORROW_10 + timedelta(hours=2)
    moved = domain.booking_reschedule(
        booking=b, start=later, staff_id=ben.id, actor=domain.STAFF, now=NOW
    )
    b.refresh_from_db()
    assert (b.staff_id, b.start, moved.staff_id) == (ben.id, later, ben.id)
    entry = AuditEntry.objects.filter(action="rescheduled").get()
    assert entry.changes["staff"] == [ada.id, ben.id]
    # The customer hears of it like of any move; Ben's own notice goes to Ben.
    notices = OutboxMessage.objects.filter(booking=b, event__startswith="booking_rescheduled")
    assert {m.to_email for m in notices} == {b.email, ben.email}
    # Ada's time is free again, Ben's is taken.
    book(practice, TOMORROW_10, staff=ada)
    with pytest.raises(SlotUnavailable):
        book(practice, later, staff=ben)


@pytest.mark.parametrize(
    "case",
    ["customer asks", "taken", "does not give it", "other company", "a class"],
)
def test_a_refused_change_of_staff_changes_nothing(practice, case):
    ada, ben, cleo = practice.staff
    b = book(practice, TOMORROW_10, staff=ada).booking
    target, actor, error = ben.id, domain.STAFF, SlotUnavailable
    if case == "customer asks":
        actor, error = domain.CUSTOMER, InvalidState
    elif case == "taken":
        book(practice, TOMORROW_10, staff=ben)
    elif case == "does not give it":
        practice.service.staff.remove(cleo)
        target, error = cleo.id, NotFound
    elif case == "other company":
        target, error = StaffFactory(company=CompanyFactory()).id, NotFound
    else:
        seat = domain.seat_reserve(
            company=practice.company,
            service=practice.yoga,
            session_id=practice.session.id,
            start=None,
            details=domain.CustomerDetails("Yoga", "Fan", "fan@example.com", ""),
            now=NOW,
        )
        b, error = seat.booking, InvalidState
    before = snapshot()
    mails = OutboxMessage.objects.count()
    with pytest.raises(error):
        domain.booking_reschedule(booking=b, start=b.start, staff_id=target, actor=actor, now=NOW)
    assert snapshot() == before and OutboxMessage.objects.count() == mails


def test_the_meeting_follows_to_the_new_hosts_room_and_the_customer_keeps_their_link(practice):
    ada, ben, _cleo = practice.staff
    for member in (ada, ben):
        MeetingAccount.objects.create(
            company=practice.company,
            staff=member,
            provider="static_link",
            url=f"https://rooms.example/{member.name.lower()}",
        )
    b = book(practice, TOMORROW_10, service=practice.video, staff=ada).booking
    meeting = Meeting.objects.get(booking=b)
    assert meeting.join_url == "https://rooms.example/ada"
    customer = JoinToken.objects.get(booking=b, role=JoinRole.CUSTOMER)
    ada_host = JoinToken.objects.get(meeting=meeting, role=JoinRole.HOST)

    domain.booking_reschedule(
        booking=b, start=b.start, staff_id=ben.id, actor=domain.STAFF, now=NOW
    )

    meeting.refresh_from_db()
    assert meeting.join_url == "https://rooms.example/ben" and meeting.state == "ready"
    assert meeting.account.staff_id == ben.id
    customer.refresh_from_db()
    assert customer.revoked_at is None and customer.meeting_id == meeting.pk
    ada_host.refresh_from_db()
    assert ada_host.revoked_at is not None
    (ben_host,) = JoinToken.objects.filter(
        meeting=meeting, role=JoinRole.HOST, revoked_at__isnull=True
    )
    assert ben_host.pk != ada_host.pk
