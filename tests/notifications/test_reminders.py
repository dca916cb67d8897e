"""Reminders go out at the booking's current time only (time-machine moves the clock)."""

from datetime import timedelta

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.notifications.domain import outbox_deliver_due, reminders_send_due
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import (
    NotificationSettings,
    OutboxMessage,
    ScheduledReminder,
)
from tests.conftest import NOW, TOMORROW_10, book

pytestmark = [pytest.mark.integration]


def reminders_sent() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(event=Event.REMINDER).order_by("created_at"))


def test_a_moved_booking_is_reminded_at_its_new_time_only(practice, smtp, frozen_now):
    booking = book(
        practice, TOMORROW_10, language="ro"
    ).booking  # Wed 10:00, reminders Tue 10, Wed 9
    moved = TOMORROW_10 + timedelta(days=1)  # Thu 10:00
    bookings.booking_reschedule(booking=booking, start=moved, actor=bookings.STAFF, now=NOW)
    assert sorted(ScheduledReminder.objects.values_list("due_at", flat=True)) == [
        moved - timedelta(hours=24),
        moved - timedelta(hours=1),
    ]
    for at in (NOW + timedelta(hours=2, minutes=5), TOMORROW_10 - timedelta(minutes=55)):
        frozen_now.move_to(at)  # the old booking's reminder times
        assert reminders_send_due() == 0
    frozen_now.move_to(TOMORROW_10 + timedelta(minutes=1))  # a day before the new time
    assert reminders_send_due() == 1
    assert reminders_send_due() == 0
    frozen_now.move_to(moved - timedelta(minutes=59))
    assert reminders_send_due() == 1
    outbox_deliver_due()
    received = [r.message for r in smtp.to(booking.email) if "Memento" in r.message["Subject"]]
    assert len(received) == 2
    for message in received:
        assert "joi, 3 decembrie 2026" in message["Subject"]  # Romanian, Thursday
        assert message.get_body(("plain",)).get_content().startswith("Bună ziua, Test,")
    assert len(reminders_sent()) == 2


def test_cancel_removes_reminders_and_a_late_sweep_sends_nothing_stale(practice, frozen_now):
    booking = book(practice, TOMORROW_10).booking
    bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    assert ScheduledReminder.objects.count() == 0
    frozen_now.move_to(TOMORROW_10 - timedelta(minutes=30))
    assert reminders_send_due() == 0

    other = book(
        practice, TOMORROW_10 + timedelta(days=2), now=TOMORROW_10 - timedelta(minutes=30)
    ).booking
    frozen_now.move_to(other.end + timedelta(hours=1))  # the worker was down until after it
    assert reminders_send_due() == 0
    assert reminders_sent() == []
    assert not ScheduledReminder.objects.filter(sent_at__isnull=True).exists()


def test_offsets_come_from_the_company_and_past_ones_are_skipped(practice, frozen_now):
    NotificationSettings.objects.create(
        company=practice.company, reminder_offsets_minutes=[180, 30]
    )
    book(practice, NOW + timedelta(hours=2))  # 3 h before is already past
    assert list(ScheduledReminder.objects.values_list("offset_minutes", flat=True)) == [30]
    requested = practice.cabin_service
    requested.requires_confirmation = True
    requested.save()
    request = book(practice, TOMORROW_10, service=requested).booking
    assert not ScheduledReminder.objects.filter(booking=request).exists()
    bookings.booking_confirm(booking=request, now=NOW)
    assert ScheduledReminder.objects.filter(booking=request).count() == 2
