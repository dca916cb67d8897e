"""booking_create and seat_reserve: the only ways a new booking row is written."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from rendezvous.availability.domain import (
    bookable_resources,
    bookable_staff_query,
    bookings_per_day,
    slot_at,
)
from rendezvous.bookings.models import (
    Booking,
    BookingSource,
    BookingStatus,
    PaymentStatus,
    seats_taken,
)
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.models import Company, Resource
from rendezvous.core.audit import CUSTOMER, STAFF
from rendezvous.core.calendar import check_in_calendar
from rendezvous.core.errors import ClassFull, NotFound, SlotUnavailable, ValidationFailed
from rendezvous.core.tokens import new_random_token
from rendezvous.core.zones import is_known_zone

from .. import events
from .customers import customer_get_or_create
from .details import CustomerDetails, clean_details
from .history import booking_logged
from .locking import booking_transaction

STAFF_SOURCES = (BookingSource.STAFF, BookingSource.ADMIN)


@dataclass(frozen=True)
class Created:
    booking: Booking
    manage_token: str


def booking_create(
    *,
    company: Company,
    service: Service,
    start: datetime | None,
    details: CustomerDetails,
    staff_id: int | None = None,
    session_id: int | None = None,
    online: bool | None = None,
    notes: str = "",
    language: str | None = None,
    participants: int = 1,
    source: str = BookingSource.WEB,
    public: bool = True,
    now: datetime | None = None,
    customer_timezone: str = "",
    location_id: int | None = None,
    resource_id: int | None = None,
    notify_customer: bool = True,
    notify_staff: bool = True,
    outside_hours: bool = False,
) -> Created:
    """Book an appointment (or, for a class service, seats through seat_reserve).

    `location_id` and `resource_id` narrow the booking as a location's or a resource's
    booking page does: only staff working there (with their hours there), only that
    resource. `public=False` is the back office booking for a customer: staff who are not
    bookable online count, and the company's notice and horizon do not (the staff
    member's hours and other bookings always do); a booking by staff is confirmed at
    once, and `notify_customer=False` leaves the customer's confirmation unsent
    (`notify_staff=False` the staff member's: the demo's seeded week sends nothing).
    `outside_hours` (back office only, for admins and seniors: callers check) books a
    staff member outside their working hours; their other bookings, classes and time
    off still refuse the time.

    Side effects, in order:
    1. validate: the details, the service belongs to the company and is active, an aware
       start within the calendar (core.calendar), `online`
    2. lock: in one transaction (SQLite: IMMEDIATE), the qualified staff rows, then the
       resource rows, in id order (PostgreSQL)
    3. re-check: the start against the live schedule, with the code that lists slots;
       "any staff" picks the free member with the fewest bookings that day
    4. write: the Booking, for an instant booking its Customer; BookingCreated
       published (bookings.events): its meeting, and its outbox rows (recipients
       only: the transaction runs in events.creation(), see notifications
       render_after_commit)
    5. after commit: delivery tasks, which render the outbox rows (templates, links,
       iCalendar) and send them, outside the lock and off the request
    Raises ValidationFailed, NotFound or SlotUnavailable; nothing is written then.
    """
    now = now or timezone.now()
    details = clean_details(details, notes=notes)
    _check_zone(customer_timezone)
    _check_service(company, service)
    if service.kind == ServiceKind.CLASS:
        return seat_reserve(
            company=company,
            service=service,
            session_id=session_id,
            start=start,
            details=details,
            participants=participants,
            online=online,
            notes=notes,
            language=language,
            source=source,
            now=now,
            customer_timezone=customer_timezone,
        )
    if start is None or timezone.is_naive(start):
        raise ValidationFailed(
            fields={"start": [_("A date and time with a UTC offset is required.")]}
        )
    check_in_calendar(start=start)
    if participants != 1:
        raise ValidationFailed(fields={"participants": [_("An appointment is for one person.")]})
    online = _resolve_online(company, service.online_meeting, online)
    language = _language(company, language)

    with events.creation(), booking_transaction():
        staff = list(
            bookable_staff_query(
                service, public=public, staff_id=staff_id, location_id=location_id
            ).select_for_update(of=("self",))
        )
        if staff_id is not None and not staff:
            raise NotFound(_("This staff member does not offer this service."))
        resources = resources_locked(
            service, public=public, resource_id=resource_id, location_id=location_id
        )
        slot = slot_at(
            company=company,
            service=service,
            start=start,
            now=now,
            staff=staff,
            resources=resources,
            location_id=location_id,
            public=public,
            any_hours=outside_hours and not public,
        )
        if slot is None:
            raise SlotUnavailable()
        counts = bookings_per_day(slot.staff, slot, company.zone)
        chosen_staff = min(slot.staff, key=lambda sid: (counts[sid], int(sid)))
        member = next(m for m in staff if str(m.id) == chosen_staff)
        chosen_resource = int(slot.resources[0]) if slot.resources else None
        booking, token = _write(
            company=company,
            service=service,
            details=details,
            start=start,
            end=start + service.duration,
            blocked=(
                start - service.buffer_before,
                start + service.duration + service.buffer_after,
            ),
            staff=member,
            resource_id=chosen_resource,
            session=None,
            online=online,
            notes=notes,
            language=language,
            participants=1,
            source=source,
            now=now,
            customer_timezone=customer_timezone,
            notify_customer=notify_customer,
            notify_staff=notify_staff,
        )
    return Created(booking, token)


def seat_reserve(
    *,
    company: Company,
    service: Service,
    session_id: int | None,
    start: datetime | None,
    details: CustomerDetails,
    participants: int = 1,
    online: bool | None = None,
    notes: str = "",
    language: str | None = None,
    source: str = BookingSource.WEB,
    now: datetime | None = None,
    customer_timezone: str = "",
) -> Created:
    """Reserve `participants` seats in a class session (one booking holds them all).

    Side effects, in order:
    1. validate: participants, a start (if given) within the calendar, the session
       belongs to the service, `online`
    2. lock: the class session row
    3. re-check: not cancelled, not started (minimum notice), seats left
    4. write: the Booking (and its Customer unless the class needs confirmation);
       BookingCreated published: its meeting, its outbox rows (recipients only)
    5. after commit: delivery tasks, which render the outbox rows and send them
    Raises ValidationFailed, NotFound, SlotUnavailable or ClassFull.
    """
    now = now or timezone.now()
    details = clean_details(details, notes=notes)
    _check_zone(customer_timezone)
    if not 1 <= participants <= 50:
        raise ValidationFailed(fields={"participants": [_("Between 1 and 50 participants.")]})
    check_in_calendar(start=start)
    sessions = ClassSession.objects.filter(company=company, service=service)
    if session_id is not None:
        sessions = sessions.filter(id=session_id)
    elif start is not None:
        sessions = sessions.filter(start=start)
    else:
        raise ValidationFailed(fields={"session": [_("Choose a class session.")]})
    language = _language(company, language)

    with events.creation(), booking_transaction():
        session = sessions.select_for_update(of=("self",)).first()
        if session is None:
            raise NotFound(_("This class session does not exist."))
        if start is not None and start != session.start:
            raise SlotUnavailable()
        notice = timedelta(minutes=company.min_notice_minutes)
        if session.cancelled or session.start < now + notice:
            raise SlotUnavailable()
        online = _resolve_online(company, session.online and service.online_meeting, online)
        if seats_taken(session) + participants > session.capacity:
            raise ClassFull()
        booking, token = _write(
            company=company,
            service=service,
            details=details,
            start=session.start,
            end=session.end,
            blocked=(session.start, session.end),
            staff=session.staff,
            resource_id=session.resource_id,
            session=session,
            online=online,
            notes=notes,
            language=language,
            participants=participants,
            source=source,
            now=now,
            customer_timezone=customer_timezone,
        )
    return Created(booking, token)


def _write(
    *,
    company,
    service,
    details,
    start,
    end,
    blocked,
    staff,
    resource_id,
    session,
    online,
    notes,
    language,
    participants,
    source,
    now,
    customer_timezone="",
    notify_customer=True,
    notify_staff=True,
) -> tuple[Booking, str]:
    token, token_hash = new_random_token()
    # Request mode asks staff to accept what a customer asks for; staff booking it have.
    confirmed = not service.requires_confirmation or source in STAFF_SOURCES
    booking = Booking.objects.create(
        company=company,
        service=service,
        staff=staff,
        resource_id=resource_id,
        session=session,
        customer=customer_get_or_create(company=company, details=details, language=language)
        if confirmed
        else None,
        first_name=details.first_name,
        last_name=details.last_name,
        email=details.email,
        phone=details.phone,
        language=language,
        timezone=customer_timezone,
        start=start,
        end=end,
        blocked_start=blocked[0],
        blocked_end=blocked[1],
        status=BookingStatus.CONFIRMED if confirmed else BookingStatus.REQUESTED,
        confirmed_at=now if confirmed else None,
        online=online,
        payment_status=PaymentStatus.PENDING
        if service.requires_payment
        else PaymentStatus.NOT_REQUIRED,
        participants=participants,
        manage_token_hash=token_hash,
        source=source,
        notes=notes,
    )
    booking_logged(
        booking,
        "created",
        kind=STAFF if source in STAFF_SOURCES else CUSTOMER,
        status=(None, booking.status),
        start=(None, booking.start),
    )
    events.publish(
        events.BookingCreated(
            booking=booking, now=now, notify_customer=notify_customer, notify_staff=notify_staff
        )
    )
    return booking, token


def _check_zone(name: str) -> None:
    """The customer's zone, when given, must be an IANA name (it is shown back to them)."""
    if name and not is_known_zone(name):
        raise ValidationFailed(fields={"timezone": [_("Unknown time zone.")]})


def _check_service(company: Company, service: Service) -> None:
    if service.company_id != company.id or not service.active:
        raise NotFound(_("This service does not exist."))


def _resolve_online(company: Company, offered: bool, requested: bool | None) -> bool:
    allowed = company.online_meetings_enabled and offered
    if requested is None:
        return allowed
    if requested and not allowed:
        raise ValidationFailed(fields={"online": [_("This service has no online meetings.")]})
    return requested


def _language(company: Company, requested: str | None) -> str:
    if requested and requested in company.languages:
        return requested
    if requested:
        raise ValidationFailed(
            fields={"language": [_("This company does not offer that language.")]}
        )
    return company.default_language


def resources_locked(
    service: Service,
    *,
    public: bool,
    resource_id: int | None = None,
    location_id: int | None = None,
) -> list[Resource] | None:
    """The service's resources, their rows locked in id order (None: it needs none)."""
    resources = bookable_resources(
        service, public=public, resource_id=resource_id, location_id=location_id
    )
    if resources is None:
        return None
    return list(
        Resource.objects.select_for_update(of=("self",))
        .filter(id__in=[r.id for r in resources])
        .order_by("id")
    )
