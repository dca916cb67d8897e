"""Changes to an existing booking: cancel, reschedule, confirm, decline, payment."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.availability.domain import bookable_staff_query, slot_at
from rendezvous.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Customer,
    PaymentStatus,
    seats_taken,
)
from rendezvous.catalog.models import ClassSession, ServiceKind
from rendezvous.companies.models import StaffMember
from rendezvous.core.audit import CUSTOMER, STAFF
from rendezvous.core.calendar import check_in_calendar
from rendezvous.core.errors import (
    ClassFull,
    InvalidState,
    NotFound,
    SlotUnavailable,
    ValidationFailed,
)
from rendezvous.core.text import has_control_chars

from .. import events
from .create import resources_locked
from .customers import customer_get_or_create
from .details import NOTES_MAX, CustomerDetails
from .history import booking_logged
from .locking import booking_transaction


def booking_cancel(
    *,
    booking: Booking,
    actor: str,
    now: datetime | None = None,
    notify_customer: bool = True,
    reason: str = "",
    customer_asked: bool = False,
) -> Booking:
    """Cancel a booking; its time (or seats) are free at once. Staff may leave the
    customer's email out (`notify_customer=False`: they told them by phone) and give a
    reason, which the audit entry keeps for staff (it is not sent). Staff cancelling at
    the customer's request (`customer_asked`, e.g. a call after the cut-off) cancel as
    staff, but the money goes back by the customer's policy (payments' refund share).

    Side effects, in order:
    1. validate: the reason (length, no control characters)
    2. lock: the booking row
    3. re-check: still active; for a customer, before the company's cancel cut-off
    4. write: status `cancelled`, cancelled_at; the audit entry
    Raises ValidationFailed or InvalidState.
    """
    reason = reason.strip()
    if len(reason) > NOTES_MAX or has_control_chars(reason, allow_newlines=True):
        raise ValidationFailed(
            fields={
                "reason": [_("At most %(n)d characters, no control characters.") % {"n": NOTES_MAX}]
            }
        )
    now = now or timezone.now()
    with booking_transaction():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("company")
            .get(pk=booking.pk)
        )
        if locked.status not in ACTIVE_STATUSES:
            raise InvalidState(_("This booking is not active any more."))
        if actor == CUSTOMER and not locked.customer_may_cancel(now):
            hours = locked.company.cancel_cutoff_hours
            raise InvalidState(
                _("This booking can only be cancelled up to %(hours)d hours before it starts.")
                % {"hours": hours}
            )
        extra: dict[str, tuple[object, object]] = {"reason": (None, reason)} if reason else {}
        customer_asked = customer_asked and actor != CUSTOMER
        if customer_asked:
            extra["customer_asked"] = (False, True)
        booking_logged(
            locked, "cancelled", kind=actor, status=(locked.status, "cancelled"), **extra
        )
        locked.status = BookingStatus.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])
        events.publish(
            events.BookingCancelled(
                booking=locked,
                now=now,
                actor=actor,
                notify_customer=notify_customer,
                customer_asked=customer_asked,
            )
        )
    return locked


def booking_reschedule(
    *,
    booking: Booking,
    start: datetime,
    actor: str,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to a new start: the new time is taken and the old one freed, or nothing changes.

    `staff_id` (staff only, appointments): hand the booking to another staff member who
    gives the service, at `start`; their online meeting account then hosts its meeting.

    Side effects, in order:
    1. validate: an aware start within the calendar; a change of staff member only by
       staff, for an appointment; for a customer, before the reschedule cut-off
    2. lock: the (new) staff row (appointments; then resources) or the new class session
       row, then the booking row
    3. re-check: the booking is still active; the new start is free for that staff
       member, not counting the booking itself (classes: a session of the same service
       at that start with seats left)
    4. write: start, end, blocked range (and staff, resource or session); the audit entry
    Raises ValidationFailed, InvalidState, NotFound, SlotUnavailable or ClassFull.
    """
    now = now or timezone.now()
    if timezone.is_naive(start):
        raise ValidationFailed(
            fields={"start": [_("A date and time with a UTC offset is required.")]}
        )
    check_in_calendar(start=start)
    company = booking.company
    service = booking.service
    if staff_id == booking.staff_id:
        staff_id = None
    if staff_id is not None and (actor != STAFF or service.kind == ServiceKind.CLASS):
        raise InvalidState(_("Only staff can give an appointment to another staff member."))
    with booking_transaction():
        if service.kind == ServiceKind.CLASS:
            session = (
                ClassSession.objects.select_for_update(of=("self",))
                .filter(service=service, start=start, cancelled=False)
                .first()
            )
            if session is None or session.start < now + timedelta(
                minutes=company.min_notice_minutes
            ):
                raise SlotUnavailable()
        elif staff_id is not None:
            staff = list(
                bookable_staff_query(service, public=False, staff_id=staff_id).select_for_update(
                    of=("self",)
                )
            )
            if not staff:
                raise NotFound(_("This staff member does not offer this service."))
            resources = resources_locked(service, public=False)
        else:
            staff = list(
                StaffMember.objects.select_for_update(of=("self",))
                # None matches no row (exact None is IS NULL); the plugin only allows ints.
                .filter(id=booking.staff_id)  # type: ignore[misc]
                .order_by("id")
            )
            resources = resources_locked(service, public=False)
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        # The company row read above: the cut-off check needs no second query for it.
        locked.company = company
        if locked.status not in ACTIVE_STATUSES:
            raise InvalidState(_("This booking is not active any more."))
        if actor == CUSTOMER and not locked.customer_may_reschedule(now):
            hours = company.reschedule_cutoff_hours
            raise InvalidState(
                _("This booking can only be rescheduled up to %(hours)d hours before it starts.")
                % {"hours": hours}
            )
        was = (locked.start, locked.staff_id)
        if service.kind == ServiceKind.CLASS:
            assert session is not None  # locked and checked above
            moving = session.id != locked.session_id
            if moving and seats_taken(session) + locked.participants > session.capacity:
                raise ClassFull()
            locked.session = session
            locked.start, locked.end = session.start, session.end
            locked.blocked_start, locked.blocked_end = session.start, session.end
            locked.staff_id, locked.resource_id = session.staff_id, session.resource_id
        else:
            slot = slot_at(
                company=company,
                service=service,
                start=start,
                now=now,
                staff=staff,
                resources=resources,
                exclude_bookings=[locked.pk],
                # Staff moving a booking are not bound by the public notice and horizon,
                # as when they book (booking_create with public=False).
                public=actor == CUSTOMER,
            )
            target = staff_id if staff_id is not None else locked.staff_id
            if slot is None or str(target) not in slot.staff:
                raise SlotUnavailable()
            locked.staff_id = target
            if slot.resources and str(locked.resource_id) not in slot.resources:
                locked.resource_id = int(slot.resources[0])
            locked.start, locked.end = start, start + service.duration
            locked.blocked_start = start - service.buffer_before
            locked.blocked_end = locked.end + service.buffer_after
        booking_logged(
            locked,
            "rescheduled",
            kind=actor,
            start=(was[0], locked.start),
            **({"staff": (was[1], locked.staff_id)} if was[1] != locked.staff_id else {}),
        )
        booking_save_moved(booking=locked, now=now)
    return locked


def booking_save_moved(*, booking: Booking, now: datetime) -> None:
    """Write a locked booking's new time, blocked range, session, staff and resource
    (a reschedule, or its class session moved), inside the caller's transaction.

    Side effects, in order: the row saved; BookingMoved published (its meeting moved,
    then the rescheduled notices queued: bookings.events).
    """
    booking.save(
        update_fields=[
            "start",
            "end",
            "blocked_start",
            "blocked_end",
            "session",
            "staff",
            "resource",
            "updated_at",
        ]
    )
    events.publish(events.BookingMoved(booking=booking, now=now))


def booking_confirm(
    *, booking: Booking, customer_id: int | None = None, now: datetime | None = None
) -> Booking:
    """Staff accept a request: it becomes `confirmed` and gets a customer record.

    Side effects, in order:
    1. lock: the booking row
    2. re-check: status is `requested`; a given customer belongs to the company
    3. write: the Customer (created from the booking's details unless one is given or
       exists with that email), status `confirmed`, confirmed_at; the audit entry
    Raises InvalidState or NotFound.
    """
    now = now or timezone.now()
    with booking_transaction():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("company")
            .get(pk=booking.pk)
        )
        if locked.status != BookingStatus.REQUESTED:
            raise InvalidState(_("Only a requested booking can be confirmed."))
        if customer_id is not None:
            customer = Customer.objects.filter(company=locked.company, pk=customer_id).first()
            if customer is None:
                raise NotFound(_("This customer does not exist."))
        else:
            details = CustomerDetails(
                locked.first_name, locked.last_name, locked.email, locked.phone
            )
            customer = customer_get_or_create(
                company=locked.company, details=details, language=locked.language
            )
        booking_logged(
            locked,
            "confirmed",
            kind=STAFF,
            status=(locked.status, "confirmed"),
            customer=(None, customer.pk),
        )
        locked.customer = customer
        locked.status = BookingStatus.CONFIRMED
        locked.confirmed_at = now
        locked.save(update_fields=["customer", "status", "confirmed_at", "updated_at"])
        events.publish(events.BookingConfirmed(booking=locked, now=now))
    return locked


# What staff may write to a customer whose request they decline.
STAFF_MESSAGE_MAX = 2000


def booking_decline(*, booking: Booking, message: str = "", now: datetime | None = None) -> Booking:
    """Staff turn a request down; its time is free at once.

    Side effects, in order:
    1. validate: `message` (what the customer reads in the email, [staff_message])
    2. lock: the booking row; re-check: status is `requested`
    3. write: status `cancelled`, cancelled_at, the message; the audit entry
    4. the customer's email (request_declined) queued; the meeting let go
    Raises ValidationFailed or InvalidState.
    """
    now = now or timezone.now()
    message = message.strip()
    if len(message) > STAFF_MESSAGE_MAX or has_control_chars(message, allow_newlines=True):
        raise ValidationFailed(
            fields={
                "message": [
                    _("Write at most %(max)d characters of plain text.")
                    % {"max": STAFF_MESSAGE_MAX}
                ]
            }
        )
    with booking_transaction():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if locked.status != BookingStatus.REQUESTED:
            raise InvalidState(_("Only a requested booking can be declined."))
        booking_logged(
            locked,
            "declined",
            kind=STAFF,
            status=(locked.status, "cancelled"),
            **({"message": (None, message)} if message else {}),
        )
        locked.status = BookingStatus.CANCELLED
        locked.cancelled_at = now
        locked.staff_message = message
        locked.save(update_fields=["status", "cancelled_at", "staff_message", "updated_at"])
        events.publish(events.BookingDeclined(booking=locked, now=now))
    return locked


def booking_resend_confirmation(*, booking: Booking) -> Booking:
    """Send a confirmed booking's confirmation again (a customer who lost the email).

    Side effects, in order: re-check: the booking is confirmed and not over; the audit
    entry; the customer's booking_confirmed email queued with the calendar invitation
    as it stands (same UID and SEQUENCE: nothing changed). Raises InvalidState.
    """
    with booking_transaction():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("company")
            .get(pk=booking.pk)
        )
        if locked.status != BookingStatus.CONFIRMED or locked.end <= timezone.now():
            raise InvalidState(_("Only a confirmed booking that is not over can be sent again."))
        booking_logged(locked, "confirmation_resent", kind=STAFF)
        events.publish(events.ConfirmationResent(booking=locked))
    return locked


# What staff may record by hand, from each payment state.
PAYMENT_TRANSITIONS: dict[str, set[str]] = {
    PaymentStatus.PENDING: {PaymentStatus.PAID},
    PaymentStatus.PAID: {PaymentStatus.REFUNDED},
    PaymentStatus.NOT_REQUIRED: set(),
    PaymentStatus.REFUNDED: set(),
}


def booking_record_payment(*, booking: Booking, status: str) -> Booking:
    """Staff record a payment (bank transfer, cash) or a refund by hand. Raises InvalidState."""
    with booking_transaction():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if status not in PAYMENT_TRANSITIONS.get(locked.payment_status, set()):
            raise InvalidState(
                _("A payment cannot go from %(old)s to %(new)s.")
                % {"old": locked.payment_status, "new": status}
            )
        booking_logged(
            locked, "payment_recorded", kind=STAFF, payment_status=(locked.payment_status, status)
        )
        locked.payment_status = status
        locked.save(update_fields=["payment_status", "updated_at"])
        events.publish(events.PaymentRecorded(booking=locked))
    return locked


def booking_mark_outcome(*, booking: Booking, status: str, now: datetime | None = None) -> Booking:
    """Staff record how a confirmed booking went (`completed` or `no_show`), once it has started."""
    now = now or timezone.now()
    with booking_transaction():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if status not in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            raise InvalidState(_("A booking cannot be set to that status."))
        if locked.status != BookingStatus.CONFIRMED or locked.start > now:
            raise InvalidState(_("Only a confirmed booking that has started can be marked so."))
        booking_logged(locked, "marked", kind=STAFF, status=(locked.status, status))
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    return locked


def booking_set_notes(*, booking: Booking, notes: str) -> Booking:
    """Staff edit the booking's notes. Raises ValidationFailed for overlong or control text."""
    if len(notes) > NOTES_MAX or has_control_chars(notes, allow_newlines=True):
        raise ValidationFailed(
            fields={
                "notes": [_("At most %(n)d characters, no control characters.") % {"n": NOTES_MAX}]
            }
        )
    with booking_transaction():
        locked = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if locked.notes != notes:
            booking_logged(locked, "notes_changed", kind=STAFF, notes=(locked.notes, notes))
            locked.notes = notes
            locked.save(update_fields=["notes", "updated_at"])
    booking.refresh_from_db()
    return booking


def booking_set_online(*, booking: Booking, online: bool, now: datetime | None = None) -> Booking:
    """Staff tick or untick "by video" on one booking (issue #4): on makes its meeting and
    join links, off revokes them and deletes the provider's meeting.

    Side effects, in order:
    1. lock: the booking row (for a class booking, its session row first, the lock
       seat_reserve and session changes take)
    2. re-check: still active and not over; turning on needs the company's online
       meetings on and, for a class, a session held online
    3. write: `online`; OnlineChanged published (bookings.events): the meeting and
       tokens made or revoked; a meeting whose link is known at once is announced to
       the customer where they may see it; turned off, a confirmed booking's customer
       is told it is in person now
    4. after commit: the provider's meeting created or deleted (meetings tasks)
    Raises InvalidState or ValidationFailed; nothing is written then.
    """
    now = now or timezone.now()
    with booking_transaction():
        if booking.session_id:
            ClassSession.objects.select_for_update(of=("self",)).filter(
                pk=booking.session_id
            ).first()
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service", "session")
            .get(pk=booking.pk)
        )
        if locked.online == online:
            return locked
        if locked.status not in ACTIVE_STATUSES:
            raise InvalidState(_("This booking is not active any more."))
        if locked.end <= now:
            raise InvalidState(_("This booking is over; it cannot be changed."))
        if online and not locked.company.online_meetings_enabled:
            raise ValidationFailed(
                fields={"online": [_("Online meetings are switched off for this company.")]}
            )
        if (
            online
            and locked.session_id
            and locked.session is not None  # always, with a session_id
            and not locked.session.online
        ):
            raise ValidationFailed(fields={"online": [_("This class session is not held online.")]})
        booking_logged(locked, "online_changed", kind=STAFF, online=(locked.online, online))
        locked.online = online
        locked.save(update_fields=["online", "updated_at"])
        events.publish(events.OnlineChanged(booking=locked, now=now, online=online))
    return locked
