"""Manage links, the staff feed, and the events other capabilities trigger."""

import pytest

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.models import Booking, PaymentStatus
from rendezvous.core.tokens import hash_token, manage_token_valid
from rendezvous.meetings.models import MeetingAccount
from rendezvous.notifications import links
from rendezvous.notifications.domain import (
    notify_meeting_creation_failing,
    notify_meeting_link_added,
    notify_meeting_link_missing,
    outbox_deliver_due,
    send_sign_in_link,
    staff_feed_issue,
)
from rendezvous.notifications.events import Event
from rendezvous.notifications.models import OutboxMessage, StaffCalendarFeed
from tests.conftest import NOW, TOMORROW_10, book
from tests.notifications.conftest import calendar_part

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]


def test_the_signed_manage_link_works_for_its_booking_only_until_the_token_changes(practice):
    first = book(practice, TOMORROW_10).booking
    second = book(practice, TOMORROW_10).booking
    url = links.manage_link(first)
    assert url.startswith(f"http://testserver/manage/{first.id}/")
    token = url.rsplit("/", 2)[1]
    assert ":" in token
    assert links.manage_link(first, "cancel") == url + "?action=cancel"
    assert manage_token_valid(first.id, first.manage_token_hash, token)
    assert not manage_token_valid(second.id, second.manage_token_hash, token)
    assert not manage_token_valid(first.id, first.manage_token_hash, token[:-2] + "xx")
    assert not manage_token_valid(first.id, first.manage_token_hash, "not-a-token")
    assert not manage_token_valid(first.id, hash_token("rotated"), token)


def test_sign_in_link_is_queued_in_the_language_asked_for(practice, smtp):
    link = "http://testserver/my/practice/sign-in/abc/"
    send_sign_in_link(company=practice.company, email="ana@example.com", link=link, language="es")
    send_sign_in_link(company=practice.company, email="bo@example.com", link=link, language="xx")
    # Both rows carry the same frozen instant: tell them apart by recipient.
    spanish = OutboxMessage.objects.get(to_email="ana@example.com")
    fallback = OutboxMessage.objects.get(to_email="bo@example.com")
    assert spanish.event == Event.SIGN_IN_LINK and spanish.language == "es"
    assert spanish.subject == f"Su enlace de acceso a {practice.company.name}"
    assert f"\n{link}\n" in spanish.body_text
    assert (
        f'<a href="{link}" ' in spanish.body_html and ">Ver sus reservas</a>" in spanish.body_html
    )
    assert fallback.language == practice.company.languages[0]
    assert outbox_deliver_due() == 2
    assert len(smtp.to("ana@example.com")) == 1


def test_meeting_events_for_issue_4(practice):
    booking = book(practice, TOMORROW_10, service=practice.video).booking
    notify_meeting_link_missing(booking=booking)
    notify_meeting_creation_failing(booking=booking)
    notify_meeting_link_added(booking=booking)
    missing = OutboxMessage.objects.get(event=Event.MEETING_LINK_MISSING)
    failing = OutboxMessage.objects.get(event=Event.MEETING_CREATION_FAILING)
    added = OutboxMessage.objects.get(event=Event.MEETING_LINK_ADDED)
    assert missing.to_email == failing.to_email == booking.staff.email
    assert "still has no meeting link" in missing.body_text
    assert added.to_email == booking.email and added.calendar_method == "REQUEST"
    assert "SEQUENCE:1" in added.calendar


def test_an_in_person_booking_has_no_meeting_lines(practice):
    booking = book(practice, TOMORROW_10).booking
    row = OutboxMessage.objects.get(booking=booking, event=Event.BOOKING_CONFIRMED)
    assert "Video meeting" not in row.body_text
    assert "Where: " + practice.company.name in row.body_text


def test_payment_confirmed_tells_the_customer_and_updates_the_invitation(practice, smtp):
    # A link typed in by staff (the manual provider): none is known at booking time.
    MeetingAccount.objects.create(company=practice.company, provider="manual")
    practice.video.requires_payment = True
    practice.video.save()
    booking = book(practice, TOMORROW_10, service=practice.video).booking
    confirmation = OutboxMessage.objects.get(booking=booking, event=Event.BOOKING_CONFIRMED)
    assert "once your payment is received" in confirmation.body_text
    bookings.booking_record_payment(booking=booking, status=PaymentStatus.PAID)
    paid = OutboxMessage.objects.get(booking=booking, event=Event.PAYMENT_CONFIRMED)
    assert "appear on your booking page" in paid.body_text
    outbox_deliver_due()
    # Both rows were written at the same frozen instant, so pick the payment email by
    # its Message-ID rather than by arrival order.
    (received,) = [r for r in smtp.to(booking.email) if r.message["Message-ID"] == paid.message_id]
    method, calendar = calendar_part(received.message)
    assert (method, calendar.events[0].sequence) == ("REQUEST", 1)
    bookings.booking_record_payment(booking=booking, status=PaymentStatus.REFUNDED)
    assert OutboxMessage.objects.filter(booking=booking).count() == 3  # a refund sends nothing


def test_requests_notify_both_sides_and_carry_no_invitation_until_confirmed(practice):
    practice.service.requires_confirmation = True
    practice.service.save()
    request = book(practice, TOMORROW_10, staff=practice.staff[1]).booking
    events = dict(OutboxMessage.objects.values_list("event", "calendar"))
    assert events == {Event.REQUEST_RECEIVED: "", Event.REQUEST_RECEIVED_STAFF: ""}
    bookings.booking_confirm(booking=request, now=NOW)
    confirmed = OutboxMessage.objects.get(event=Event.REQUEST_CONFIRMED)
    assert confirmed.calendar_method == "REQUEST" and "SEQUENCE:0" in confirmed.calendar
    declined = book(practice, TOMORROW_10, staff=practice.staff[2]).booking
    bookings.booking_decline(booking=declined, now=NOW)
    assert OutboxMessage.objects.get(event=Event.REQUEST_DECLINED).calendar == ""


def test_cancel_by_the_customer_uses_its_own_wording(practice):
    practice.company.cancel_cutoff_hours = 1
    practice.company.save()
    booking = book(practice, TOMORROW_10).booking
    bookings.booking_cancel(booking=booking, actor=bookings.CUSTOMER, now=NOW)
    row = OutboxMessage.objects.get(booking=booking, event=Event.CANCELLED_BY_CUSTOMER)
    assert row.subject.startswith("Cancellation confirmed") and row.calendar_method == "CANCEL"


def test_staff_feed_needs_the_right_token_and_lists_their_bookings(client, practice):
    ada = practice.staff[0]
    mine = book(practice, TOMORROW_10, staff=ada).booking
    book(practice, TOMORROW_10, staff=practice.staff[1])
    token = staff_feed_issue(staff=ada)
    assert StaffCalendarFeed.objects.get(staff=ada).token_hash == hash_token(token)
    assert token not in StaffCalendarFeed.objects.get(staff=ada).token_hash
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.count("BEGIN:VEVENT") == 1 and f"booking-{mine.id}@testserver" in body
    assert client.get(f"/calendar/{token[:-1]}x.ics").status_code == 404
    new_token = staff_feed_issue(staff=ada)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{new_token}.ics").status_code == 200
    Booking.objects.filter(pk=mine.pk).update(status="cancelled")
    assert "BEGIN:VEVENT" not in client.get(f"/calendar/{new_token}.ics").content.decode()
