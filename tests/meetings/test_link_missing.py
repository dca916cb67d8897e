"""Staff hear once, N hours ahead, that an online meeting still has no link."""

from datetime import timedelta

import pytest

from rendezvous.bookings import domain
from rendezvous.meetings.domain import meeting_set_link, meeting_warn_missing_links
from rendezvous.meetings.models import Meeting, MeetingAccount
from rendezvous.notifications.models import OutboxMessage
from tests.conftest import NOW, TOMORROW_10, book

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def manual(practice):
    """Links typed in by staff: the built-in room (the default) is ready at once."""
    return MeetingAccount.objects.create(company=practice.company, provider="manual")


LATER = TOMORROW_10 + timedelta(days=2)  # 74 h after NOW


def warnings(booking):
    return OutboxMessage.objects.filter(booking=booking, event="meeting_link_missing")


def test_warned_once_inside_the_horizon_only(practice):
    ada = practice.staff[0]
    booking = book(practice, LATER, service=practice.video, staff=ada).booking
    assert meeting_warn_missing_links(now=NOW, hours=24) == 0  # 74 h away
    at = LATER - timedelta(hours=23)
    assert meeting_warn_missing_links(now=at, hours=24) == 1
    [message] = warnings(booking)
    assert message.to_email == ada.email
    assert meeting_warn_missing_links(now=at + timedelta(minutes=5), hours=24) == 0
    assert warnings(booking).count() == 1


def test_no_warning_once_the_link_is_known_or_the_booking_is_cancelled(practice):
    linked = book(practice, LATER, service=practice.video, staff=practice.staff[0]).booking
    meeting_set_link(meeting=Meeting.objects.get(booking=linked), url="https://rooms.example/a")
    cancelled = book(practice, LATER, service=practice.video, staff=practice.staff[1]).booking
    domain.booking_cancel(booking=cancelled, actor=domain.STAFF, now=NOW)
    assert meeting_warn_missing_links(now=LATER - timedelta(hours=1), hours=24) == 0
    assert not warnings(linked).exists() and not warnings(cancelled).exists()


def test_a_moved_meeting_is_warned_about_again(practice):
    booking = book(practice, LATER, service=practice.video, staff=practice.staff[0]).booking
    assert meeting_warn_missing_links(now=LATER - timedelta(hours=2), hours=24) == 1
    later = LATER + timedelta(days=1)
    domain.booking_reschedule(booking=booking, start=later, actor=domain.STAFF, now=NOW)
    assert meeting_warn_missing_links(now=later - timedelta(hours=2), hours=24) == 1
    assert warnings(booking).count() == 2
