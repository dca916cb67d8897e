"""What each booking change sends. Called by bookings.domain inside its transaction,
with the locked booking, so the outbox rows commit (or roll back) with the change.
booking_create and seat_reserve run inside ``render_after_commit``: there the rows only
name event, recipient, language and SEQUENCE, and the text, which reads the meeting,
templates and links (half the queries of a booking), is rendered by the delivery task,
outside SQLite's single writer lock and off the request.

| booking change | customer | staff member | reminders | SEQUENCE |
| --- | --- | --- | --- | --- |
| created, instant | booking_confirmed + REQUEST | booking_confirmed_staff + REQUEST | scheduled | 0 |
| created, request | request_received | request_received_staff | none | - |
| request confirmed | request_confirmed + REQUEST | booking_confirmed_staff + REQUEST | scheduled | 0 |
| request declined | request_declined | - | none | - |
| rescheduled | booking_rescheduled + REQUEST | booking_rescheduled_staff + REQUEST | replaced | +1 |
| cancelled | cancelled_by_customer / _by_staff + CANCEL | booking_cancelled_staff + CANCEL | removed | +1 |
| paid | payment_confirmed + REQUEST | - | - | +1 |
| meeting link added (issue 4) | meeting_link_added + REQUEST | - | - | +1 |
| "by video" unticked | meeting_removed + REQUEST | - | - | +1 |

An invitation (REQUEST or CANCEL) goes only with a booking that was confirmed at
some point: a request that was never confirmed is in nobody's calendar.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rendezvous.bookings.models import Booking, BookingStatus, PaymentStatus
from rendezvous.companies.models import Company

from .. import ics
from ..events import AUDIENCE, CALENDAR_METHOD, CUSTOMER, Event
from ..links import manage_link
from ..meeting_links import meeting_texts
from ..models import CalendarSequence, NotificationSettings, ScheduledReminder
from ..receipt_texts import receipt_text
from .outbox import outbox_enqueue, rendering_deferred
from .render import (
    Rendered,
    booking_values,
    customer_zone,
    render,
    template_for,
)

CUSTOMER_ACTOR = "customer"


def settings_for(company: Company) -> NotificationSettings:
    """The company's settings, or the defaults; read from the company when it was loaded
    with them (api.common.get_company), else one query."""
    try:
        return company.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(company=company)


def _next_sequence(booking: Booking) -> int:
    """The SEQUENCE of a changed invitation. A first invitation is 0 and writes no row
    (a booking without one reads as 0); the first change writes it with 1."""
    if CalendarSequence.objects.filter(booking=booking).update(sequence=F("sequence") + 1):
        return CalendarSequence.objects.get(booking=booking).sequence
    row, _created = CalendarSequence.objects.get_or_create(
        booking=booking, defaults={"sequence": 1}
    )
    return row.sequence


def _message(
    booking: Booking,
    event: str,
    *,
    sequence: int | None,
    now: datetime | None = None,
    options: NotificationSettings | None = None,
) -> None:
    """Render `event` for its audience and queue it; nothing when there is no recipient.

    Inside :func:`~.outbox.render_after_commit` (a booking transaction) only the row
    naming the recipient is written; its delivery renders the text.
    """
    company = booking.company
    if AUDIENCE[event] == CUSTOMER:
        to_email, to_name = booking.email, f"{booking.first_name} {booking.last_name}"
        language = booking.language
    else:
        staff = booking.staff
        options = options or settings_for(company)
        if staff is None or not staff.email or not options.notify_staff:
            return
        to_email, to_name = staff.email, staff.name
        language = company.default_language
    content: dict[str, Any]  # outbox_enqueue's keyword arguments, of several types
    if rendering_deferred():
        # Only the recipient and the sequence now; the delivery renders the text.
        content = {"rendered": None, "sequence": sequence}
    else:
        rendered, calendar, method = message_content(
            booking,
            event,
            to_email=to_email,
            to_name=to_name,
            language=language,
            sequence=sequence,
            now=now,
        )
        content = {"rendered": rendered, "calendar": calendar, "calendar_method": method}
    outbox_enqueue(
        company=company,
        booking=booking,
        event=event,
        to_email=to_email,
        to_name=to_name,
        language=language,
        now=now,
        **content,
    )


def message_content(
    booking: Booking,
    event: str,
    *,
    to_email: str,
    to_name: str,
    language: str,
    sequence: int | None,
    now: datetime | None = None,
) -> tuple[Rendered, str, str]:
    """(text, iCalendar, iCalendar method) of one message: the slow part, no writes."""
    company = booking.company
    to_customer = AUDIENCE[event] == CUSTOMER
    zone = customer_zone(booking) if to_customer else company.zone
    values = booking_values(booking, language=language, zone=zone, to_customer=to_customer)
    # Only the email that says the payment arrived carries the receipt (its one event).
    values["receipt"] = (
        receipt_text(booking, language=language, zone=zone)
        if event == Event.PAYMENT_CONFIRMED
        else ""
    )
    subject, body = template_for(
        company=company,
        event=event,
        language=language,
        service_id=booking.service_id,
        staff_id=booking.staff_id,
    )
    rendered = render(
        subject=subject, body=body, values=values, language=language, audience=AUDIENCE[event]
    )
    method = CALENDAR_METHOD.get(event, "")
    calendar = ""
    if method and sequence is not None:
        meeting = meeting_texts(booking, language=language)
        link = meeting.customer_link if to_customer else meeting.staff_link
        joinable = meeting.link_available and link.startswith("http")
        if to_customer:
            summary = f"{values['service_name']} – {company.name}"
        else:
            summary = f"{values['service_name']}: {booking.first_name} {booking.last_name}"
        calendar = ics.invitation(
            booking=booking,
            method=method,
            sequence=sequence,
            zone=zone,
            summary=summary,
            description="\n".join(
                line
                for line in (values["location"], link, values["manage_link"] if to_customer else "")
                if line
            ),
            location=link if joinable else values["location"],
            url=link if joinable else (manage_link(booking) if to_customer else ""),
            organizer_name=company.name,
            attendee_email=to_email,
            attendee_name=to_name,
            now=now,
        )
    return rendered, calendar, method if calendar else ""


def _invited(booking: Booking) -> bool:
    return booking.confirmed_at is not None


def notify_booking_created(*, booking: Booking, customer: bool = True, staff: bool = True) -> None:
    """Queue the messages of a new booking (inside its transaction); `customer=False`
    (staff booking with "send confirmation email" off) leaves the customer's out,
    `staff=False` the staff member's.

    Side effects, in order:
    1. write: outbox rows for the customer and the staff member
    2. write: the booking's reminders (instant bookings)
    3. after commit: delivery tasks
    """
    options = settings_for(booking.company)
    if booking.status == BookingStatus.CONFIRMED:
        # The first invitation: SEQUENCE 0 (_next_sequence).
        if customer:
            _message(booking, Event.BOOKING_CONFIRMED, sequence=0)
        if staff:
            _message(booking, Event.BOOKING_CONFIRMED_STAFF, sequence=0, options=options)
        _reminders_add(booking, timezone.now(), options)
    else:
        if customer:
            _message(booking, Event.REQUEST_RECEIVED, sequence=None)
        if staff:
            _message(booking, Event.REQUEST_RECEIVED_STAFF, sequence=None, options=options)


def notify_booking_confirmed(*, booking: Booking) -> None:
    """Staff confirmed a request. Side effects: outbox rows for the customer
    (request_confirmed) and the staff member, reminders; delivery after commit."""
    # A request had no invitation: this is the first, SEQUENCE 0 (_next_sequence).
    _message(booking, Event.REQUEST_CONFIRMED, sequence=0)
    _message(booking, Event.BOOKING_CONFIRMED_STAFF, sequence=0)
    reminders_schedule(booking=booking)


def notify_confirmation_again(*, booking: Booking) -> None:
    """Staff send a confirmed booking's confirmation again. Side effects: an outbox row
    for the customer (booking_confirmed) whose invitation keeps the current SEQUENCE:
    the calendar entry is the one the customer has, not a change."""
    current = CalendarSequence.objects.filter(booking=booking).values_list("sequence", flat=True)
    _message(booking, Event.BOOKING_CONFIRMED, sequence=current.first() or 0)


def notify_booking_declined(*, booking: Booking) -> None:
    """Staff declined a request. Side effects: an outbox row for the customer."""
    _message(booking, Event.REQUEST_DECLINED, sequence=None)
    reminders_clear(booking=booking)


def notify_booking_rescheduled(*, booking: Booking) -> None:
    """The booking moved. Side effects, in order: SEQUENCE + 1 (if it was ever
    confirmed), outbox rows for the customer and the staff member, the unsent
    reminders replaced by ones for the new start; delivery after commit."""
    sequence = _next_sequence(booking) if _invited(booking) else None
    _message(booking, Event.BOOKING_RESCHEDULED, sequence=sequence)
    _message(booking, Event.BOOKING_RESCHEDULED_STAFF, sequence=sequence)
    reminders_schedule(booking=booking)


def notify_booking_cancelled(*, booking: Booking, actor: str, customer: bool = True) -> None:
    """The booking was cancelled by `actor` ("customer" or "staff"). Side effects, in
    order: SEQUENCE + 1, outbox rows (METHOD:CANCEL) for the customer (unless staff
    leave them out: `customer=False`) and the staff member, the unsent reminders
    removed; delivery after commit."""
    sequence = _next_sequence(booking) if _invited(booking) else None
    event = Event.CANCELLED_BY_CUSTOMER if actor == CUSTOMER_ACTOR else Event.CANCELLED_BY_STAFF
    if customer:
        _message(booking, event, sequence=sequence)
    _message(booking, Event.BOOKING_CANCELLED_STAFF, sequence=sequence)
    reminders_clear(booking=booking)


def notify_payment_recorded(*, booking: Booking) -> None:
    """A payment was recorded; once paid, the customer hears it (and, for an online
    booking, that the meeting link is on its way or here). Nothing for a refund."""
    if booking.payment_status != PaymentStatus.PAID:
        return
    sequence = _next_sequence(booking) if _invited(booking) else None
    _message(booking, Event.PAYMENT_CONFIRMED, sequence=sequence)


def notify_meeting_link_added(*, booking: Booking) -> None:
    """For issue 4: the join link became known after the confirmation was sent.
    Side effects: SEQUENCE + 1, an outbox row with an updated invitation."""
    sequence = _next_sequence(booking) if _invited(booking) else None
    _message(booking, Event.MEETING_LINK_ADDED, sequence=sequence)


def notify_meeting_removed(*, booking: Booking) -> None:
    """Staff unticked "by video" on a confirmed booking: tell the customer it is in
    person now and their join link is dead. Side effects: SEQUENCE + 1, an outbox row
    with the updated invitation (its location the place, not a link)."""
    sequence = _next_sequence(booking) if _invited(booking) else None
    _message(booking, Event.MEETING_REMOVED, sequence=sequence)


def notify_meeting_link_missing(*, booking: Booking) -> None:
    """For issue 4: tell the staff member an online booking still has no link."""
    _message(booking, Event.MEETING_LINK_MISSING, sequence=None)


def notify_meeting_creation_failing(*, booking: Booking) -> None:
    """For issue 4: tell the staff member the provider keeps failing."""
    _message(booking, Event.MEETING_CREATION_FAILING, sequence=None)


# -- reminders ----------------------------------------------------------------------


def reminders_schedule(
    *,
    booking: Booking,
    now: datetime | None = None,
    options: NotificationSettings | None = None,
) -> None:
    """Replace the booking's unsent reminders by ones for its current start (offsets
    from the company's settings, only those still in the future)."""
    reminders_clear(booking=booking)
    if booking.status == BookingStatus.CONFIRMED:
        _reminders_add(booking, now or timezone.now(), options or settings_for(booking.company))


def _reminders_add(booking: Booking, now: datetime, options: NotificationSettings) -> None:
    offsets = options.reminder_offsets_minutes or []
    ScheduledReminder.objects.bulk_create(
        ScheduledReminder(
            booking=booking,
            offset_minutes=minutes,
            booking_start=booking.start,
            due_at=booking.start - timedelta(minutes=minutes),
        )
        for minutes in sorted(set(offsets))
        if booking.start - timedelta(minutes=minutes) > now
    )


def reminders_clear(*, booking: Booking) -> None:
    ScheduledReminder.objects.filter(booking=booking, sent_at__isnull=True).delete()


def reminders_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue every due reminder whose booking is still confirmed, at the start it was
    scheduled for, and not begun; drop the others. Returns how many were queued.

    Side effects per reminder, in one transaction: lock the reminder row, re-check,
    write an outbox row and mark the reminder sent (or delete a stale one); delivery
    after commit.
    """
    now = now or timezone.now()
    due = list(
        ScheduledReminder.objects.filter(sent_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = 0
    for pk in due:
        with transaction.atomic():
            reminder = (
                ScheduledReminder.objects.select_for_update()
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if reminder is None:
                continue
            booking = Booking.objects.select_related("company", "service", "staff").get(
                pk=reminder.booking_id
            )
            current = (
                booking.status == BookingStatus.CONFIRMED
                and booking.start == reminder.booking_start
                and booking.start > now
            )
            if not current:
                reminder.delete()
                continue
            _message(booking, Event.REMINDER, sequence=None, now=now)
            reminder.sent_at = now
            reminder.save(update_fields=["sent_at"])
            queued += 1
    return queued
