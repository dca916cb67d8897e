"""Input and output shapes of API v1 (shared/API.md). Times are rendered in the zone asked for."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from ninja import Schema
from pydantic import AwareDatetime, Field

from rendezvous.bookings.models import Booking
from rendezvous.meetings.domain import CustomerViewer, meeting_view

# Hard caps against absurd bodies; the domain gives the precise per-field messages.
BIG = 10_000


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    error: ErrorBody


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
    start: AwareDatetime | None = None
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
    start: AwareDatetime


class MeetingOut(Schema):
    provider: str | None
    state: str
    join_url: str | None
    opens_at: datetime
    closes_at: datetime
    instructions: str | None
    password: str | None


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
    notes: str | None = Field(default=None, max_length=BIG)
    payment_status: str | None = Field(default=None, max_length=16)


class ConfirmIn(Schema):
    customer: str | None = None


def manage_url(booking: Booking, token: str) -> str:
    return f"{settings.BASE_URL}/manage/{booking.id}/{token}/"


def meeting_out(booking: Booking, zone: ZoneInfo, viewer=None) -> dict | None:
    """The meeting object of API.md, from the one reveal rule (meetings.domain.meeting_view):
    `join_url` is our /join/<token>/ link, never the provider's URL."""
    view = meeting_view(booking=booking, viewer=viewer, now=timezone.now())
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


def booking_out(booking: Booking, zone: ZoneInfo, token: str | None = None, viewer=None) -> dict:
    """`viewer`: a staff Actor; else a caller holding the manage `token` is the customer."""
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
        "meeting": meeting_out(booking, zone, viewer),
    }


def staff_booking_out(booking: Booking, zone: ZoneInfo, actor=None) -> dict:
    return booking_out(booking, zone, viewer=actor) | {
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
