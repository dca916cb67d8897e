"""Changes to a whole class session: scheduling, changing, deleting and cancelling it.

| function | writes | refuses |
| --- | --- | --- |
| session_create | a ClassSession | bad fields (a start or end outside the calendar among them), a non-class service, an online class larger than the built-in video room it would meet in (400); staff member or resource busy then (409) |
| session_update | the session, and its bookings when it moves | a capacity below the seats taken, or one the built-in room cannot carry (400); a started or cancelled session, `online` switched under bookings (409); staff or resource busy (409) |
| session_delete | the session | one that ever had a booking (409: cancel it instead, the bookings keep their history) |
| session_cancel | the session and its bookings, below | - |

Moving a session with bookings (new start, end, staff member or resource) moves its
bookings in the same transaction, as booking_reschedule would one by one: each gets
the new times, staff and resource, and BookingMoved is published (bookings.events):
its meeting follows and the customer and staff hear of it. The session row is
locked first, the same lock seat_reserve takes, so no seat is sold at the old time
while it moves. The staff member's (and resource's) row is locked next, the same
lock booking_create takes, before checking that nobody else holds them then. Saves go
through the model, so availability.signals bump the availability version after commit.

What a cancelled session leaves behind, and who sees it:

| row | after session_cancel |
| --- | --- |
| ClassSession | `cancelled`, `cancelled_at`; gone from open_sessions, refused by seat_reserve and booking_reschedule |
| each active Booking | `cancelled` (cancelled_at), its seats free; the customer gets "cancelled by staff" in their language with METHOD:CANCEL, the staff member a copy; reminders removed |
| a paid Booking | as above; its payments refunded in full by their method (payments.domain.refunds, on BookingCancelled): `refunded` once all came back, else still `paid`: a refund is due |
| the session's Meeting | `revoked` with every join token; the provider's meeting deleted after commit, retried by the meeting sweep |

"Refund due" is not a column of its own: a cancelled booking whose payment is still
`paid` is one (REFUND_DUE below, the one definition; `refunds_due` is read with it
after the commit). It is the honest state, since the money has not gone back yet:
payments' refunds on cancel leave it for a refund to pay back by hand (a transfer,
cash: payments.domain.refunds.refunds_to_pay_back) or a card refund the provider has
not answered, and clear it once the money is back. A booking marked paid by hand
without a payment staff clear the way they record any refund: booking_record_payment
`paid -> refunded` (the bookings admin's "record payment" action, or the staff API).
The meetings report lists such bookings as a problem.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    PaymentStatus,
    seats_taken,
)
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.domain import FieldErrors, clean_bool, clean_int, company_row
from rendezvous.companies.models import Company, Location, Resource, StaffMember
from rendezvous.core.audit import field_changes, logged, row_values
from rendezvous.core.calendar import in_calendar, out_of_calendar
from rendezvous.core.errors import InvalidState, NotFound, SlotUnavailable, ValidationFailed
from rendezvous.core.fields import UNSET, Maybe, Ref, given

from .. import events
from .change import STAFF, booking_save_moved
from .history import booking_logged
from .locking import booking_transaction

# The audit log's name for class sessions (created, updated, cancelled, deleted).
CLASS_SESSION = "class_session"

CAPACITY_MAX = 10_000
SESSION_MAX = timedelta(hours=24)

# Bookings whose money must go back: cancelled while paid.
REFUND_DUE = Q(status=BookingStatus.CANCELLED, payment_status=PaymentStatus.PAID)


@dataclass(frozen=True)
class SessionCancelled:
    session: ClassSession
    cancelled: list[Booking]  # the bookings this call cancelled
    refunds_due: list[Booking]  # of those, the paid ones


def session_cancel(*, session: ClassSession, now: datetime | None = None) -> SessionCancelled:
    """Cancel a class session and every active booking in it (staff only; callers check
    the actor's permission first).

    Side effects, in order:
    1. lock: the session row (the lock seat_reserve and booking_reschedule take, so no
       booking slips in between), then its active booking rows
    2. re-check: the session exists and is not cancelled yet
    3. write: the session `cancelled`; each booking `cancelled` with its tokens revoked
       and its emails queued (outbox: the customer in their language, the staff member;
       reminders removed); the session's meeting and host token revoked
    4. after commit: emails delivered; the provider's meeting deleted (meetings task)
    Raises NotFound or InvalidState; nothing is written then.
    """
    now = now or timezone.now()
    with booking_transaction():
        locked = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("company", "service")
            .filter(pk=session.pk)
            .first()
        )
        if locked is None:
            raise NotFound(_("This class session does not exist."))
        if locked.cancelled:
            raise InvalidState(_("This class session is already cancelled."))
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service", "staff", "session")
            .filter(session=locked, status__in=ACTIVE_STATUSES)
            .order_by("created_at", "id")
        )
        locked.cancelled, locked.cancelled_at = True, now
        locked.save(update_fields=["cancelled", "cancelled_at"])
        logged(locked, CLASS_SESSION, "cancelled", {"bookings": len(bookings)})
        for booking in bookings:
            booking_logged(
                booking,
                "session_cancelled",
                kind=STAFF,
                status=(booking.status, "cancelled"),
            )
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at = now
            booking.save(update_fields=["status", "cancelled_at", "updated_at"])
            events.publish(events.BookingCancelled(booking=booking, now=now, actor=STAFF))
        events.publish(events.ClassSessionCancelled(session=locked, now=now))
    # Read after the commit: the subscribers' refunds (payments) have settled some of
    # them by now, and a card refund's provider answer came after the commit.
    due = set(
        Booking.objects.filter(REFUND_DUE, pk__in=[b.pk for b in bookings]).values_list(
            "pk", flat=True
        )
    )
    refunds = [b for b in bookings if b.pk in due]
    return SessionCancelled(session=locked, cancelled=bookings, refunds_due=refunds)


# -- scheduling, changing and deleting a session ------------------------------------


@dataclass(frozen=True, kw_only=True)
class SessionFields:
    """A class session's writable fields; UNSET ones are left as they are. To schedule
    one, service, start and capacity are required (end defaults to start + the
    service's duration); the service is fixed once scheduled, so an update ignores it.
    None empties staff, location and resource; for the others it is refused."""

    service: Maybe[Ref | None] = UNSET
    start: Maybe[datetime | None] = UNSET
    end: Maybe[datetime | None] = UNSET
    capacity: Maybe[int | None] = UNSET
    online: Maybe[bool | None] = UNSET
    staff: Maybe[Ref | None] = UNSET
    location: Maybe[Ref | None] = UNSET
    resource: Maybe[Ref | None] = UNSET


def _clean_session(
    company: Company, fields: SessionFields, *, session: ClassSession | None, now: datetime
) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    values = given(fields)
    service = session.service if session is not None else None
    if session is None:
        service = company_row(errors, "service", Service, company, values.get("service"))
        if "service" not in errors and service is None:
            errors.add("service", _("This field is required."))
        elif service is not None and service.kind != ServiceKind.CLASS:
            errors.add("service", _("Choose a class, not an appointment service."))
        cleaned["service"] = service
    for name in ("start", "end"):
        if name in values or (session is None and name == "start"):
            value = values.get(name)
            if value is None and name == "end" and session is None:
                continue
            # The back office hands over None for a start it could not read.
            if not isinstance(value, datetime) or timezone.is_naive(value):
                errors.add(name, _("A date and time with a UTC offset is required."))
            elif not in_calendar(value):
                errors.add(name, out_of_calendar())
            else:
                cleaned[name] = value
    if session is None or "capacity" in values:
        cleaned["capacity"] = clean_int(
            errors, "capacity", values.get("capacity"), low=1, high=CAPACITY_MAX
        )
    if "online" in values:
        cleaned["online"] = clean_bool(errors, "online", values["online"])
    for name, model in (("staff", StaffMember), ("location", Location), ("resource", Resource)):
        if name in values:
            cleaned[name] = company_row(errors, name, model, company, values[name])
    if "start" in errors or "end" in errors or (service is None and session is None):
        errors.raise_if_any()
    # Times as they will be once the change is written.
    start = cleaned.get("start", session.start if session else None)
    if session is None:
        end = cleaned.get("end") or (start + service.duration if start and service else None)
        cleaned["end"] = end
    else:
        end = cleaned.get("end", session.end)
        if "start" in cleaned and "end" not in cleaned:
            # Moving the start alone keeps the length.
            end = cleaned["end"] = cleaned["start"] + (session.end - session.start)
    if start is not None and end is not None:
        if end <= start:
            errors.add("end", _("The end must be after the start."))
        elif end - start > SESSION_MAX:
            errors.add("end", _("A class session lasts at most 24 hours."))
        if ("start" in cleaned or session is None) and start < now:
            errors.add("start", _("The start is in the past."))
    online_offered = (
        service is not None and company.online_meetings_enabled and service.online_meeting
    )
    if cleaned.get("online") and not online_offered:
        errors.add("online", _("Online meetings are off for this company or this class."))
    errors.raise_if_any()
    return cleaned


def _check_free(
    session: ClassSession, *, staff_id: int | None, resource_id: int | None, start, end
) -> None:
    """Refuse a time at which the staff member or resource is held by an appointment or
    another session. Call inside the transaction: it locks their rows first (the locks
    booking_create takes), so a concurrent booking sees the session or we see it."""
    for model, field, row_id in (
        (StaffMember, "staff", staff_id),
        (Resource, "resource", resource_id),
    ):
        if row_id is None:
            continue
        list(model.objects.select_for_update(of=("self",)).filter(pk=row_id).values_list("pk"))
        booked = Booking.objects.filter(
            **{f"{field}_id": row_id},
            status__in=ACTIVE_STATUSES,
            session__isnull=True,
            blocked_start__lt=end,
            blocked_end__gt=start,
        ).exists()
        other = (
            ClassSession.objects.filter(
                **{f"{field}_id": row_id}, cancelled=False, start__lt=end, end__gt=start
            )
            .exclude(pk=session.pk)
            .exists()
        )
        if booked or other:
            raise SlotUnavailable(
                _("The staff member is busy at that time.")
                if field == "staff"
                else _("The resource is busy at that time.")
            )


def session_create(
    *, company: Company, fields: SessionFields, now: datetime | None = None
) -> ClassSession:
    """Schedule a class session.

    Side effects, in order:
    1. validate: a class service of this company, aware start (end defaults to start +
       the service's duration), capacity, `online` only where the company and the class
       have online meetings, staff, location and resource of this company
    2. lock: the staff member's and resource's rows
    3. re-check: neither holds an appointment or another session then; an online
       class fits the video room it will meet in (ClassSessionChecked: meetings'
       meeting_session_fits)
    4. write: the ClassSession
    5. after commit: the availability version bumped (signals)
    Raises ValidationFailed or SlotUnavailable; nothing is written then.
    """
    now = now or timezone.now()
    cleaned = _clean_session(company, fields, session=None, now=now)
    session = ClassSession(company=company, **cleaned)
    with booking_transaction():
        _check_free(
            session,
            staff_id=session.staff_id,
            resource_id=session.resource_id,
            start=session.start,
            end=session.end,
        )
        events.publish(events.ClassSessionChecked(session=session))
        session.save()
        logged(session, CLASS_SESSION, "created", field_changes({}, row_values(session, cleaned)))
    return session


MOVING_FIELDS = ("start", "end", "staff", "resource", "location")
# What decides whether an online class fits its room (the staff member: whose account).
ROOM_FIELDS = ("capacity", "online", "staff")


def session_update(
    *, session: ClassSession, fields: SessionFields, now: datetime | None = None
) -> ClassSession:
    """Change a class session (a PATCH); moving it moves its bookings with it.

    Side effects, in order:
    1. validate: the fields given, as session_create
    2. lock: the session row (seat_reserve's lock), then the staff member's and
       resource's rows when it moves
    3. re-check: not cancelled; capacity not below the seats taken; once it has active
       bookings: not started, `online` unchanged; the staff member and resource free;
       when capacity, `online` or staff change, the class fits its video room
    4. write: the session; when it moved, each active booking's times, staff and resource,
       BookingMoved (its meeting, its rescheduled notices)
    5. after commit: the availability version bumped (signals); the meeting's provider
       updated; the emails sent
    Raises ValidationFailed, InvalidState or SlotUnavailable; nothing is written then.
    """
    now = now or timezone.now()
    cleaned = _clean_session(session.company, fields, session=session, now=now)
    with booking_transaction():
        locked = (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("company", "service")
            .get(pk=session.pk)
        )
        if locked.cancelled:
            raise InvalidState(_("This class session was cancelled; it cannot be changed."))
        taken = seats_taken(locked)
        if "capacity" in cleaned and cleaned["capacity"] < taken:
            raise ValidationFailed(
                fields={
                    "capacity": [
                        _("%(taken)d seats are booked; the capacity cannot be lower.")
                        % {"taken": taken}
                    ]
                }
            )
        changed = {name: value for name, value in cleaned.items() if _differs(locked, name, value)}
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("company", "service")
            .filter(session=locked, status__in=ACTIVE_STATUSES)
            .order_by("created_at")
        )
        moving = any(name in changed for name in MOVING_FIELDS)
        if bookings and moving and locked.start <= now:
            raise InvalidState(_("This class session has started; it can no longer be moved."))
        if bookings and "online" in changed:
            raise InvalidState(
                _(
                    "This class session has bookings; switch “by video” on or off "
                    "per booking instead."
                )
            )
        before = row_values(locked, changed)
        for name, value in changed.items():
            setattr(locked, name, value)
        if any(name in changed for name in ("start", "end", "staff", "resource")):
            _check_free(
                locked,
                staff_id=locked.staff_id,
                resource_id=locked.resource_id,
                start=locked.start,
                end=locked.end,
            )
        if any(name in changed for name in ROOM_FIELDS):
            events.publish(events.ClassSessionChecked(session=locked))
        if changed:
            locked.save(update_fields=list(changed))
            logged(locked, CLASS_SESSION, "updated", field_changes(before, changed))
        if bookings and moving:
            for booking in bookings:
                booking_logged(
                    booking,
                    "rescheduled",
                    kind=STAFF,
                    start=(booking.start, locked.start),
                    **(
                        {"staff": (booking.staff_id, locked.staff_id)}
                        if booking.staff_id != locked.staff_id
                        else {}
                    ),
                )
                booking.session = locked
                booking.start = booking.blocked_start = locked.start
                booking.end = booking.blocked_end = locked.end
                booking.staff_id, booking.resource_id = locked.staff_id, locked.resource_id
                booking_save_moved(booking=booking, now=now)
    return locked


RELATIONS = ("staff", "resource", "location")


def _differs(session: ClassSession, name: str, value: Any) -> bool:
    if name in RELATIONS:
        return getattr(session, f"{name}_id") != (value.pk if value is not None else None)
    return getattr(session, name) != value


def session_delete(*, session: ClassSession) -> None:
    """Delete a class session that never had a booking.

    Side effects, in order: lock the session row; re-check that no booking (of any
    status) points at it; delete it (and its meeting, if one was made); the availability
    version bumped after commit. Raises InvalidState: a session with bookings is
    cancelled instead, so its bookings keep their history.
    """
    with booking_transaction():
        locked = ClassSession.objects.select_for_update(of=("self",)).filter(pk=session.pk).first()
        if locked is None:
            return
        if Booking.objects.filter(session=locked).exists():
            raise InvalidState(
                _("This class session has bookings; cancel it instead of deleting it.")
            )
        logged(locked, CLASS_SESSION, "deleted")
        locked.delete()
