"""What notifications do when a booking changes: the bookings.events they subscribe to.

Each queues outbox rows inside the booking's transaction (delivery after commit),
after the meetings' subscribers (priority NOTIFICATIONS), whose join tokens the
emails carry. A new booking's transaction also runs inside render_after_commit.
"""

from rendezvous.bookings import events
from rendezvous.bookings.models import BookingStatus

from .domain import (
    notify_booking_cancelled,
    notify_booking_confirmed,
    notify_booking_created,
    notify_booking_declined,
    notify_booking_rescheduled,
    notify_confirmation_again,
    notify_meeting_creation_failing,
    notify_meeting_link_added,
    notify_meeting_link_missing,
    notify_meeting_removed,
    notify_payment_recorded,
    render_after_commit,
)


def _created(event: events.BookingCreated) -> None:
    notify_booking_created(
        booking=event.booking, customer=event.notify_customer, staff=event.notify_staff
    )


def _cancelled(event: events.BookingCancelled) -> None:
    notify_booking_cancelled(
        booking=event.booking, actor=event.actor, customer=event.notify_customer
    )


def _declined(event: events.BookingDeclined) -> None:
    notify_booking_declined(booking=event.booking)


def _moved(event: events.BookingMoved) -> None:
    notify_booking_rescheduled(booking=event.booking)


def _confirmed(event: events.BookingConfirmed) -> None:
    notify_booking_confirmed(booking=event.booking)


def _resent(event: events.ConfirmationResent) -> None:
    notify_confirmation_again(booking=event.booking)


def _payment(event: events.PaymentRecorded) -> None:
    notify_payment_recorded(booking=event.booking)


def _online_changed(event: events.OnlineChanged) -> None:
    if not event.online and event.booking.status == BookingStatus.CONFIRMED:
        # The customer was told it is a video meeting (and may hold a link).
        notify_meeting_removed(booking=event.booking)


def _link_added(event: events.MeetingLinkAdded) -> None:
    notify_meeting_link_added(booking=event.booking)


def _link_missing(event: events.MeetingLinkMissing) -> None:
    notify_meeting_link_missing(booking=event.booking)


def _creation_failing(event: events.MeetingCreationFailing) -> None:
    notify_meeting_creation_failing(booking=event.booking)


def subscribe() -> None:
    events.wrap_creation(render_after_commit)
    events.subscribe(events.BookingCreated, _created, priority=events.NOTIFICATIONS)
    events.subscribe(events.BookingCancelled, _cancelled, priority=events.NOTIFICATIONS)
    events.subscribe(events.BookingDeclined, _declined, priority=events.NOTIFICATIONS)
    events.subscribe(events.BookingMoved, _moved, priority=events.NOTIFICATIONS)
    events.subscribe(events.BookingConfirmed, _confirmed, priority=events.NOTIFICATIONS)
    events.subscribe(events.ConfirmationResent, _resent, priority=events.NOTIFICATIONS)
    events.subscribe(events.PaymentRecorded, _payment, priority=events.NOTIFICATIONS)
    events.subscribe(events.OnlineChanged, _online_changed, priority=events.NOTIFICATIONS)
    events.subscribe(events.MeetingLinkAdded, _link_added, priority=events.NOTIFICATIONS)
    events.subscribe(events.MeetingLinkMissing, _link_missing, priority=events.NOTIFICATIONS)
    events.subscribe(
        events.MeetingCreationFailing, _creation_failing, priority=events.NOTIFICATIONS
    )
