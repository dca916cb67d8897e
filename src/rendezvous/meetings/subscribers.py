"""What meetings do when a booking changes: the bookings.events they subscribe to.

Each runs inside the booking's transaction with the locked booking, before the
notifications' subscribers (priority MEETINGS), so the emails find the meeting and
join tokens written here. Provider calls stay after commit (lifecycle's tasks).
"""

from datetime import datetime

from rendezvous.bookings import events, reveal
from rendezvous.bookings.models import Booking
from rendezvous.companies.access import Actor
from rendezvous.companies.models import Role

from .domain import (
    CustomerViewer,
    MeetingView,
    meeting_booking_changed,
    meeting_for,
    meeting_session_cancelled,
    meeting_view,
)
from .domain.room_size import meeting_session_fits
from .models import MeetingState


def _changed(event: events.BookingCancelled | events.BookingDeclined | events.BookingMoved) -> None:
    meeting_booking_changed(booking=event.booking, now=event.now)


def _created(event: events.BookingCreated) -> None:
    meeting_booking_changed(booking=event.booking, now=event.now, new=True)


def _online_changed(event: events.OnlineChanged) -> None:
    booking = event.booking
    meeting_booking_changed(booking=booking, now=event.now)
    if not event.online:
        return
    meeting = meeting_for(booking)
    # The link came at once (a local provider, or a class's meeting that already has
    # one): nothing else will announce it. A remote provider's new link is announced
    # when its task brings it.
    if (
        meeting is not None
        and meeting.state == MeetingState.READY
        and booking.is_active
        and not booking.link_hold()
    ):
        events.publish(events.MeetingLinkAdded(booking=booking))


def _session_cancelled(event: events.ClassSessionCancelled) -> None:
    meeting_session_cancelled(session=event.session, now=event.now)


def _session_checked(event: events.ClassSessionChecked) -> None:
    meeting_session_fits(session=event.session)


def subscribe() -> None:
    events.subscribe(events.BookingCreated, _created, priority=events.MEETINGS)
    events.subscribe(events.BookingCancelled, _changed, priority=events.MEETINGS)
    events.subscribe(events.BookingDeclined, _changed, priority=events.MEETINGS)
    events.subscribe(events.BookingMoved, _changed, priority=events.MEETINGS)
    events.subscribe(events.OnlineChanged, _online_changed, priority=events.MEETINGS)
    events.subscribe(events.ClassSessionCancelled, _session_cancelled, priority=events.MEETINGS)
    events.subscribe(events.ClassSessionChecked, _session_checked, priority=events.MEETINGS)


def _reveal(booking: Booking, viewer: reveal.Viewer, now: datetime) -> MeetingView | None:
    if viewer == "customer":
        return meeting_view(booking=booking, viewer=CustomerViewer(booking.pk), now=now)
    # The staff member themself: a junior sees exactly their own bookings.
    actor = Actor(company=booking.company, role=Role.JUNIOR, staff_id=booking.staff_id)
    return meeting_view(booking=booking, viewer=actor, now=now)


def register_reveal() -> None:
    """Emails (notifications) ask the one reveal rule through bookings.reveal."""
    reveal.register_reveal(_reveal)
