"""Input and output shapes of API v1 (docs/api.md). Times are rendered in the zone asked for."""

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, WithJsonSchema

from rendezvous.bookings.models import Booking
from rendezvous.core.calendar import in_calendar, out_of_calendar
from rendezvous.meetings.domain import CustomerViewer, meeting_view
from rendezvous.meetings.domain.reveal import Prefetched
from rendezvous.payments.domain.checkout import PaymentPrefetch, payment_state

# Hard caps against absurd bodies; the domain gives the precise per-field messages.
BIG = 10_000


def _in_calendar(value):
    if not in_calendar(value):
        raise ValueError(out_of_calendar())
    return value


# A wall time of the hours and exceptions: hours and minutes, no zone (answers carry
# ":00" seconds). JSON Schema's "time" format is RFC 3339's, which requires an offset,
# so the document gives the pattern instead and clients send what the server takes.
WALL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:00)?$"


def _wall_time(value):
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(WALL_TIME_PATTERN, value):
        raise ValueError(_("Enter a time such as 09:30."))
    return time.fromisoformat(value)


ApiTime = Annotated[
    time,
    BeforeValidator(_wall_time),
    WithJsonSchema({"type": "string", "pattern": WALL_TIME_PATTERN, "examples": ["09:30"]}),
]

ApiDate = Annotated[date, AfterValidator(_in_calendar)]
ApiDatetime = Annotated[datetime, AfterValidator(_in_calendar)]
AwareApiDatetime = Annotated[AwareDatetime, AfterValidator(_in_calendar)]


class CompanyOut(Schema):
    id: str
    slug: str
    name: str
    timezone: str
    languages: list[str]
    currency: str


class ServiceOut(Schema):
    id: str
    name: str
    description: str
    category: str | None
    kind: str
    duration_minutes: int
    price: Decimal
    currency: str
    online_meeting: bool
    requires_confirmation: bool
    requires_payment: bool


class StaffOut(Schema):
    id: str
    name: str
    services: list[str]


class SlotOut(Schema):
    start: datetime
    end: datetime
    staff: list[str]
    session: str | None = None
    seats_left: int | None = None


class SlotsOut(Schema):
    service: str
    timezone: str
    slots: list[SlotOut]


class CustomerIn(Schema):
    first_name: str = Field(max_length=BIG)
    last_name: str = Field(max_length=BIG)
    email: str = Field(max_length=BIG)
    phone: str | None = Field(default=None, max_length=BIG)


class BookingIn(Schema):
    service: str = Field(max_length=64)
    start: AwareApiDatetime | None = None
    staff: str | None = Field(default=None, max_length=64)
    session: str | None = Field(default=None, max_length=64)
    online: bool | None = None
    customer: CustomerIn
    notes: str | None = Field(default=None, max_length=BIG)
    language: str | None = Field(default=None, max_length=16)
    participants: int = Field(default=1, ge=1, le=50)
    altcha: str | None = Field(
        default=None,
        max_length=BIG,
        description="A solved ALTCHA payload, required when the company has the spam check on "
        "(challenge: GET /<language>/<company>/altcha/challenge/).",
    )


class RescheduleIn(Schema):
    start: AwareApiDatetime


class MeetingOut(Schema):
    provider: str | None
    state: str
    join_url: str | None
    opens_at: datetime
    closes_at: datetime
    instructions: str | None
    password: str | None


class PaymentOut(Schema):
    state: str = Field(description="pending, paid, failed, refunded or partially_refunded")
    amount: Decimal
    currency: str
    method: str | None = Field(description="the method under way or used; null: none picked yet")
    methods: list[str] = Field(description="the methods offered while the money is due")
    checkout_url: str | None = Field(description="a card checkout to send the customer to")
    reference: str | None = Field(description="a bank transfer's reference to quote")
    due: date | None = Field(description="when a bank transfer is due")


class PayIn(Schema):
    method: str = Field(max_length=32, description="card, bank_transfer, pass, credits or on_site")


class PaymentRecordIn(Schema):
    amount: str = Field(
        max_length=64, description='what was received, as a decimal string ("40.00")'
    )
    method: str = Field(max_length=32, description="bank_transfer, on_site or card")
    note: str = Field(default="", max_length=BIG)


class BookingOut(Schema):
    id: str
    status: str
    service: str
    staff: str | None
    session: str | None
    start: datetime
    end: datetime
    timezone: str
    online: bool
    payment_status: str
    participants: int
    manage_token: str | None
    manage_url: str | None
    meeting: MeetingOut | None
    payment: PaymentOut | None


class StaffBookingOut(BookingOut):
    first_name: str
    last_name: str
    email: str
    phone: str
    notes: str
    customer: str | None
    created_at: datetime


class BookingPage(Schema):
    results: list[StaffBookingOut]
    next: str | None


class BookingPatch(Schema):
    status: str | None = Field(default=None, max_length=16)
    online: bool | None = Field(
        default=None,
        description='"By video": true makes the meeting and join links (the company must '
        "have online meetings on; a class booking needs an online session), false revokes "
        "them and deletes the provider's meeting. Not for a cancelled or past booking (409).",
    )
    notes: str | None = Field(default=None, max_length=BIG)
    payment_status: str | None = Field(default=None, max_length=16)


class ConfirmIn(Schema):
    customer: str | None = None


def manage_url(booking: Booking, token: str) -> str:
    return f"{settings.BASE_URL}/manage/{booking.id}/{token}/"


def meeting_out(
    booking: Booking, zone: ZoneInfo, viewer=None, prefetched: Prefetched | None = None
) -> dict | None:
    """the meeting object of docs/api.md, from the one reveal rule (meetings.domain.meeting_view):
    `join_url` is our /join/<token>/ link, never the provider's URL."""
    view = meeting_view(booking=booking, viewer=viewer, now=timezone.now(), prefetched=prefetched)
    if view is None:
        return None
    return {
        "provider": view.provider,
        "state": view.state,
        "join_url": view.join_url,
        "opens_at": view.opens_at.astimezone(zone),
        "closes_at": view.closes_at.astimezone(zone),
        "instructions": view.instructions,
        "password": view.password,
    }


def booking_out(
    booking: Booking,
    zone: ZoneInfo,
    token: str | None = None,
    viewer=None,
    prefetched: Prefetched | None = None,
    payments: PaymentPrefetch | None = None,
) -> dict:
    """`viewer`: a staff Actor; else a caller holding the manage `token` is the customer.
    `payments`: payment_prefetch of a list's rows."""
    payment = payment_state(booking, payments)
    if viewer is None and token:
        viewer = CustomerViewer(booking.pk)
    return {
        "id": str(booking.id),
        "status": booking.status,
        "service": str(booking.service_id),
        "staff": str(booking.staff_id) if booking.staff_id else None,
        "session": str(booking.session_id) if booking.session_id else None,
        "start": booking.start.astimezone(zone),
        "end": booking.end.astimezone(zone),
        "timezone": zone.key,
        "online": booking.online,
        "payment_status": booking.payment_status,
        "participants": booking.participants,
        "manage_token": token,
        "manage_url": manage_url(booking, token) if token else None,
        "meeting": meeting_out(booking, zone, viewer, prefetched),
        "payment": payment.as_dict() if payment is not None else None,
    }


def staff_booking_out(
    booking: Booking,
    zone: ZoneInfo,
    actor=None,
    prefetched: Prefetched | None = None,
    payments: PaymentPrefetch | None = None,
) -> dict:
    return booking_out(booking, zone, viewer=actor, prefetched=prefetched, payments=payments) | {
        "first_name": booking.first_name,
        "last_name": booking.last_name,
        "email": booking.email,
        "phone": booking.phone,
        "notes": booking.notes,
        "customer": str(booking.customer_id) if booking.customer_id else None,
        "created_at": booking.created_at.astimezone(zone),
    }


def date_range_days(first: date, last: date) -> int:
    return (last - first).days + 1


# -- back office (/manage/): services, staff members, schedules, class sessions --------
# Input fields are typed loosely on purpose (plain int, str, datetime): the domain
# (catalog.domain, companies.domain, availability.domain) checks ranges, lengths and
# ids with translated messages, and a PATCH changes only the fields sent.


class ServicePatch(Schema):
    name: str | None = Field(default=None, max_length=BIG)
    description: str | None = Field(default=None, max_length=BIG)
    kind: str | None = Field(
        default=None, max_length=16, description="appointment or class (fixed once used)"
    )
    category: str | None = Field(default=None, max_length=64, description="a category id")
    duration_minutes: int | None = Field(default=None, description="5 to 1440")
    buffer_before_minutes: int | None = Field(default=None, description="0 to 1440")
    buffer_after_minutes: int | None = Field(default=None, description="0 to 1440")
    price: Decimal | None = Field(default=None, description='a decimal string, e.g. "45.00"')
    currency: str | None = Field(
        default=None, max_length=16, description="ISO code; empty: the company's"
    )
    online_meeting: bool | None = None
    requires_confirmation: bool | None = None
    requires_payment: bool | None = None
    resource_kind: str | None = Field(
        default=None, max_length=BIG, description="the kind of resource it needs; empty: none"
    )
    max_per_staff_per_day: int | None = Field(default=None, description="null: no limit")
    staff: list[str] | None = Field(
        default=None, max_length=1000, description="ids of the staff who give it"
    )
    location: str | None = Field(default=None, max_length=64)
    active: bool | None = None
    position: int | None = None
    translations: dict[str, dict[str, str]] | None = Field(
        default=None,
        max_length=16,
        description="name and description in other languages the company offers, "
        '{"de": {"name": "...", "description": "..."}}; replaces the stored ones',
    )


class ServiceCreate(ServicePatch):
    name: str = Field(max_length=BIG)
    duration_minutes: int = Field(description="5 to 1440")


class ManagedServiceOut(Schema):
    id: str
    name: str
    description: str
    kind: str
    category: str | None
    category_name: str | None
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: Decimal
    currency: str
    online_meeting: bool
    requires_confirmation: bool
    requires_payment: bool
    resource_kind: str
    max_per_staff_per_day: int | None
    staff: list[str]
    location: str | None
    active: bool
    position: int
    translations: dict[str, dict[str, str]]


class ServicePage(Schema):
    results: list[ManagedServiceOut]
    next: str | None


class StaffMemberPatch(Schema):
    name: str | None = Field(default=None, max_length=BIG)
    email: str | None = Field(default=None, max_length=BIG)
    locations: list[str] | None = Field(default=None, max_length=1000)
    services: list[str] | None = Field(default=None, max_length=1000)
    online_bookable: bool | None = None
    active: bool | None = None


class StaffMemberCreate(StaffMemberPatch):
    name: str = Field(max_length=BIG)


class StaffMemberOut(Schema):
    id: str
    name: str
    email: str
    locations: list[str]
    services: list[str]
    online_bookable: bool
    active: bool


class StaffMemberPage(Schema):
    results: list[StaffMemberOut]
    next: str | None


class HoursSpan(Schema):
    weekday: int = Field(description="0 Monday ... 6 Sunday")
    start: ApiTime
    end: ApiTime = Field(description="00:00 means midnight at the end of the day")
    location: str | None = Field(default=None, max_length=64, description="null: at every location")


class HoursIn(Schema):
    hours: list[HoursSpan] = Field(max_length=1000)


class HoursSpanOut(HoursSpan):
    id: str


class HoursOut(Schema):
    staff: str
    hours: list[HoursSpanOut]


class TimeOffIn(Schema):
    start: ApiDatetime
    end: ApiDatetime
    reason: str | None = Field(default=None, max_length=BIG)


class TimeOffOut(Schema):
    id: str
    staff: str
    start: datetime
    end: datetime
    reason: str


class TimeOffPage(Schema):
    results: list[TimeOffOut]
    next: str | None


class DateExceptionIn(Schema):
    date: ApiDate
    kind: str = Field(
        max_length=16, description="closed (all day), hours (instead of the week's), extra"
    )
    start: ApiTime | None = None
    end: ApiTime | None = None
    location: str | None = Field(default=None, max_length=64)


class DateExceptionOut(Schema):
    id: str
    staff: str
    date: date
    kind: str
    start: ApiTime | None
    end: ApiTime | None
    location: str | None


class DateExceptionPage(Schema):
    results: list[DateExceptionOut]
    next: str | None


class SessionPatch(Schema):
    start: ApiDatetime | None = None
    end: ApiDatetime | None = Field(
        default=None, description="moving the start alone keeps the session's length"
    )
    capacity: int | None = Field(default=None, description="not below the seats taken")
    online: bool | None = Field(default=None, description="fixed once the session has bookings")
    staff: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=64)
    resource: str | None = Field(default=None, max_length=64)


class SessionCreate(SessionPatch):
    service: str = Field(max_length=64, description="a class service's id")
    start: ApiDatetime
    end: ApiDatetime | None = Field(default=None, description="default: start + the duration")
    capacity: int


class SessionOut(Schema):
    id: str
    service: str
    service_name: str
    staff: str | None
    location: str | None
    resource: str | None
    start: datetime
    end: datetime
    timezone: str
    capacity: int
    seats_taken: int
    seats_left: int
    online: bool
    cancelled: bool


class SessionPage(Schema):
    results: list[SessionOut]
    next: str | None


class SessionCancelledOut(SessionOut):
    cancelled_bookings: list[str] = Field(description="ids of the bookings this cancelled")
    refunds_due: list[str] = Field(
        description="of those, the paid ones whose money is not back yet (a transfer or cash "
        "to pay back by hand, a card refund Stripe has not confirmed); cards, passes and "
        "credits are refunded by themselves"
    )


# -- back office: the calendar feed (/manage/calendar) ---------------------------------


class CalendarColumnOut(Schema):
    id: str
    title: str
    kind: str = Field(json_schema_extra={"enum": ["staff", "resource"]})


class CalendarEventOut(Schema):
    id: str = Field(description="unique in the answer: a booking's id, else `<kind>-<id>`")
    kind: str = Field(json_schema_extra={"enum": ["booking", "session", "time_off", "exception"]})
    resource_ids: list[str]
    start: datetime
    end: datetime
    title: str
    status: str | None
    online: bool
    payment_status: str | None
    seats_taken: int | None
    capacity: int | None


class CalendarHoursOut(Schema):
    resource_id: str
    start: datetime
    end: datetime


class CalendarOut(Schema):
    timezone: str
    resources: list[CalendarColumnOut]
    events: list[CalendarEventOut]
    hours: list[CalendarHoursOut]
