"""Bookings deliver emails and invitations through a real SMTP server on loopback."""

from datetime import timedelta

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import Booking
from rendezvous.core.errors import SlotUnavailable
from rendezvous.meetings.models import MeetingAccount
from rendezvous.notifications.domain import outbox as outbox_module
from rendezvous.notifications.domain import outbox_deliver, outbox_deliver_due, outbox_resend
from rendezvous.notifications.domain.outbox import _claim
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import OutboxMessage, OutboxState
from tests.conftest import BERLIN, NOW, TOMORROW_10, book
from tests.notifications.conftest import calendar_part

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def customer_row(booking: Booking, event: str) -> OutboxMessage:
    return OutboxMessage.objects.get(booking=booking, event=event)


def test_booking_delivers_confirmation_with_parts_language_and_invitation(practice, smtp):
    # A link typed in by staff (the manual provider): none is known at booking time.
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    booking = book(practice, TOMORROW_10, service=practice.video, n="de", language="de").booking
    staff = booking.staff
    row = customer_row(booking, Event.BOOKING_CONFIRMED)
    assert OutboxMessage.objects.filter(booking=booking).count() == 2
    assert row.state == OutboxState.QUEUED and smtp.received == []

    assert outbox_deliver_due() == 2
    [received] = smtp.to("customerde@example.com")
    assert received.rcpt_tos == ["customerde@example.com"]
    msg = received.message
    assert msg["Message-ID"] == row.message_id
    assert msg["Content-Language"] == "de"
    assert msg["To"].addresses[0].addr_spec == "customerde@example.com"
    assert msg["From"].addresses[0].display_name == practice.company.name
    assert msg["Subject"] == "Buchung bestätigt: Video call am Mittwoch, 2. Dezember 2026 10:00 CET"
    types = [part.get_content_type() for part in msg.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    plain = msg.get_body(("plain",)).get_content()
    assert "Guten Tag Test Customer de," in plain
    # The reveal rule: no link yet, a sentence saying when it comes, in German.
    assert "Ihr persönlicher Videolink erscheint auf Ihrer Buchungsseite" in plain
    assert f"/manage/{booking.id}/" in plain
    html = msg.get_body(("html",)).get_content()
    assert '<html lang="de">' in html and f'<a href="http://testserver/manage/{booking.id}/' in html

    method, calendar = calendar_part(msg)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    [event] = calendar.events
    assert event["UID"] == f"booking-{booking.id}@testserver"
    assert event.sequence == 0
    assert event.start == TOMORROW_10 and event.end == TOMORROW_10 + timedelta(minutes=30)
    assert event.start.tzinfo.key == "Europe/Berlin"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Berlin"]
    assert [str(a) for a in event.attendees] == ["mailto:customerde@example.com"]
    assert str(event["ORGANIZER"]) == "mailto:bookings@localhost"
    attachment = next(p for p in msg.walk() if p.get_content_type() == "application/ics")
    assert attachment.get_filename() == "invite.ics"

    [to_staff] = smtp.to(staff.email)
    staff_msg = to_staff.message
    assert staff_msg["Subject"].startswith("New booking: Video call")  # company's first: en
    _method, staff_cal = calendar_part(staff_msg)
    assert [str(a) for a in staff_cal.events[0].attendees] == [f"mailto:{staff.email}"]
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 2


def test_with_the_server_down_bookings_succeed_and_every_message_arrives_once_later(
    practice, smtp, frozen_now
):
    smtp.stop()
    created = [book(practice, TOMORROW_10 + timedelta(hours=h)).booking for h in range(3)]
    assert Booking.objects.count() == 3
    assert outbox_deliver_due() == 0
    rows = list(OutboxMessage.objects.all())
    assert len(rows) == 6
    assert all(r.state == OutboxState.QUEUED for r in rows)
    # The sweep stops at the first unreachable attempt instead of waiting on every row.
    assert sorted(r.attempts for r in rows) == [0, 0, 0, 0, 0, 1]
    assert "Connection" in OutboxMessage.objects.get(attempts=1).last_error

    smtp.start()
    frozen_now.shift(timedelta(minutes=1))
    assert outbox_deliver_due() == 6
    frozen_now.shift(timedelta(hours=2))
    assert outbox_deliver_due() == 0
    ids = [r.message["Message-ID"] for r in smtp.received]
    assert sorted(ids) == sorted(r.message_id for r in rows)
    for booking in created:
        assert len(smtp.to(booking.email)) == 1


def test_a_temporary_failure_backs_off_then_delivers(practice, smtp, frozen_now):
    booking = book(practice, TOMORROW_10).booking
    row = customer_row(booking, Event.BOOKING_CONFIRMED)
    smtp.stop()
    assert outbox_deliver(message_id=row.pk) == OutboxState.QUEUED
    smtp.start()
    row.refresh_from_db()
    assert row.next_attempt_at == NOW + timedelta(minutes=1)
    assert outbox_deliver(message_id=row.pk) is None  # not due yet
    frozen_now.shift(timedelta(minutes=1))
    assert outbox_deliver(message_id=row.pk) == OutboxState.SENT
    assert outbox_deliver(message_id=row.pk) is None  # sent rows are never sent again
    assert len(smtp.to(booking.email)) == 1


def test_a_550_fails_for_good_and_can_be_resent(practice, smtp, frozen_now):
    smtp.refuse.add("customer550@example.com")
    booking = book(practice, TOMORROW_10, n=550).booking
    outbox_deliver_due()
    row = customer_row(booking, Event.BOOKING_CONFIRMED)
    assert row.state == OutboxState.FAILED and row.attempts == 1
    assert "550" in row.last_error
    assert len(smtp.received) == 1  # the staff member's copy
    frozen_now.shift(timedelta(days=2))
    assert outbox_deliver_due() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.FAILED, 1)

    smtp.refuse.clear()
    again = outbox_resend(message=row)
    assert again.pk == row.pk and again.state == OutboxState.QUEUED
    assert outbox_deliver_due() == 1
    [delivered] = smtp.to("customer550@example.com")
    assert delivered.message["Message-ID"] == row.message_id


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(practice, smtp, frozen_now):
    booking = book(practice, TOMORROW_10).booking
    row = customer_row(booking, Event.BOOKING_CONFIRMED)
    assert _claim(row.pk, NOW)  # a worker took the row, then died before sending
    assert not _claim(row.pk, NOW)  # nobody else can take it meanwhile
    outbox_deliver_due()
    assert smtp.to(booking.email) == []
    frozen_now.shift(timedelta(minutes=6))  # the lease has run out
    outbox_deliver_due()
    outbox_deliver_due()
    assert len(smtp.to(booking.email)) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.SENT, 2)


def test_reschedule_updates_the_invitation_and_cancel_cancels_it(practice, smtp):
    booking = book(practice, TOMORROW_10, staff=practice.staff[0]).booking
    moved = TOMORROW_10 + timedelta(days=1, hours=2)
    bookings.booking_reschedule(booking=booking, start=moved, actor=bookings.STAFF, now=NOW)
    bookings.booking_cancel(booking=booking, actor=bookings.STAFF, now=NOW)
    outbox_deliver_due()
    sent = [r.message for r in smtp.to(booking.email)]
    assert [m["Subject"].split(":")[0] for m in sent] == [
        "Booking confirmed",
        "Booking moved",
        "Your booking has been cancelled",
    ]
    calendars = [calendar_part(m) for m in sent]
    assert [method for method, _cal in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [cal.events[0] for _method, cal in calendars]
    assert len({e["UID"] for e in events}) == 1
    assert [e.sequence for e in events] == [0, 1, 2]
    assert events[1].start == moved.astimezone(BERLIN)
    assert events[2]["STATUS"] == "CANCELLED"
    staff_methods = [calendar_part(r.message)[0] for r in smtp.to(practice.staff[0].email)]
    assert staff_methods == ["REQUEST", "REQUEST", "CANCEL"]


def test_delivery_is_enqueued_on_commit(practice, smtp, django_capture_on_commit_callbacks):
    # Huey runs tasks inline in the tests, so the commit itself delivers.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking = book(practice, TOMORROW_10).booking
    deliveries = [
        c for c in callbacks if getattr(c, "func", None) is outbox_module._enqueue_delivery
    ]
    assert len(deliveries) == 2  # one per message: customer and staff member
    assert len(smtp.to(booking.email)) == 1
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 2


def test_a_failed_booking_queues_nothing(practice, smtp):
    book(practice, TOMORROW_10, staff=practice.staff[0])
    before = list(OutboxMessage.objects.values_list("pk", flat=True))
    with pytest.raises(SlotUnavailable):
        book(practice, TOMORROW_10, staff=practice.staff[0])
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == before
