"""The back-office calendar: columns, events and working hours of a date range, in one
answer (GET .../manage/calendar, docs/api.md). A selector: it reads, never writes.

| view | columns | events | hours |
| --- | --- | --- | --- |
| staff | active staff members (a junior: their own alone) | their bookings, class sessions, time off, closed days | worked time: weekly hours with the date exceptions, time off cut out |
| resource | active resources (rooms, cabins) | bookings and class sessions holding them (a junior: their own) | none (resources have no hours of their own) |

Event ids are unique within one answer: a booking's id is the booking's, the others are
`<kind>-<row id>` (`session-12`, `time_off-3`, `exception-4`). A time off's reason is
private: only its own staff member and admins see it (companies.access).

The number of queries is fixed, whatever the number of staff, days or bookings: the
columns, the services' names, the schedules (three, availability.domain), the bookings
and the sessions, each read once as tuples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q
from django.utils.translation import gettext as _

from rendezvous.availability.domain import Window, staff_schedules
from rendezvous.bookings.models import Booking, BookingStatus, seats_taken_subquery
from rendezvous.catalog.models import ClassSession, Service
from rendezvous.companies.access import Actor, access_sees_time_off_reason, access_staff_scope
from rendezvous.companies.models import Resource, StaffMember
from rendezvous.scheduling.intervals import from_epoch

from .customers import display_name

CALENDAR_MAX_DAYS = 42

View = Literal["staff", "resource"]


class Column(NamedTuple):
    id: str
    title: str
    kind: str  # "staff" | "resource"


class Event(NamedTuple):
    id: str
    kind: str  # "booking" | "session" | "time_off" | "exception"
    resource_ids: list[str]
    start: datetime
    end: datetime
    title: str
    status: str | None
    online: bool
    payment_status: str | None
    seats_taken: int | None
    capacity: int | None


class Hours(NamedTuple):
    resource_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Feed:
    timezone: str
    resources: list[Column]
    events: list[Event]
    hours: list[Hours]


def calendar_feed(
    *,
    actor: Actor,
    first: date,
    last: date,
    zone: ZoneInfo,
    view: View = "staff",
    location_id: int | None = None,
    staff_id: int | None = None,
    service_id: int | None = None,
) -> Feed:
    """The calendar of `actor`'s company for the local dates first..last (inclusive, in
    `zone`), narrowed by location, staff member and service. Times come in `zone`.

    Side effects: none (reads only). The caller checks the range (CALENDAR_MAX_DAYS).
    """
    window = Window.for_dates(first, last, zone)
    company = actor.company
    names = {
        s.pk: s.text_in("name", company=company)
        for s in Service.objects.filter(company=company).only("id", "name", "translations")
    }
    bookings = Booking.objects.filter(
        access_staff_scope(actor, "staff_id"),
        company=company,
        session__isnull=True,
        start__lt=window.end,
        end__gt=window.start,
    ).exclude(status=BookingStatus.CANCELLED)
    sessions = ClassSession.objects.filter(
        access_staff_scope(actor, "staff_id"),
        company=company,
        cancelled=False,
        start__lt=window.end,
        end__gt=window.start,
    )
    if service_id is not None:
        bookings = bookings.filter(service_id=service_id)
        sessions = sessions.filter(service_id=service_id)

    if view == "resource":
        columns = _resource_columns(actor, location_id, service_id)
        if staff_id is not None:
            bookings = bookings.filter(staff_id=staff_id)
            sessions = sessions.filter(staff_id=staff_id)
        field = "resource_id"
        ids = [int(c.id) for c in columns]
        events = _bookings(bookings.filter(resource_id__in=ids), field, names, zone)
        events += _sessions(sessions.filter(resource_id__in=ids), field, names, zone)
        hours: list[Hours] = []
    else:
        columns = _staff_columns(actor, location_id, staff_id, service_id)
        field = "staff_id"
        ids = [int(c.id) for c in columns]
        events = _bookings(bookings.filter(staff_id__in=ids), field, names, zone)
        events += _sessions(sessions.filter(staff_id__in=ids), field, names, zone)
        schedule_events, hours = _schedules(actor, ids, window, location_id, zone)
        events += schedule_events
    events.sort(key=lambda e: (e.start, e.resource_ids, e.id))
    return Feed(timezone=zone.key, resources=columns, events=events, hours=hours)


def _staff_columns(
    actor: Actor, location_id: int | None, staff_id: int | None, service_id: int | None
) -> list[Column]:
    qs = StaffMember.objects.filter(access_staff_scope(actor, "id"), company=actor.company)
    qs = qs.filter(active=True)
    if staff_id is not None:
        qs = qs.filter(id=staff_id)
    if location_id is not None:
        qs = qs.filter(locations__id=location_id)
    if service_id is not None:
        qs = qs.filter(services__id=service_id)
    return [
        Column(str(pk), name, "staff")
        for pk, name in qs.order_by("name", "id").values_list("id", "name")
    ]


def _resource_columns(
    actor: Actor, location_id: int | None, service_id: int | None
) -> list[Column]:
    qs = Resource.objects.filter(company=actor.company, active=True)
    if location_id is not None:
        # As the booking pages: a resource without a location serves every location.
        qs = qs.filter(Q(location_id=location_id) | Q(location__isnull=True))
    if service_id is not None:
        # The resources that service may hold: those of the kind it needs.
        kind = Service.objects.filter(company=actor.company, id=service_id).values("resource_kind")
        qs = qs.filter(kind__in=kind).exclude(kind="")
    return [
        Column(str(pk), name, "resource")
        for pk, name in qs.order_by("kind", "name", "id").values_list("id", "name")
    ]


def _bookings(qs, field: str, names: dict[int, str], zone: ZoneInfo) -> list[Event]:
    events: list[Event] = []
    append = events.append
    for pk, column, service, start, end, status, online, payment, first, last in _raw_rows(
        qs.order_by(),
        ("id", field, "service_id", "start", "end", "status", "online", "payment_status")
        + ("first_name", "last_name"),
    ):
        append(
            Event(
                id=_uuid_text(pk),
                kind="booking",
                resource_ids=[str(column)],
                start=_instant(start).astimezone(zone),
                end=_instant(end).astimezone(zone),
                title=f"{display_name(first, last)} · {names.get(service, '')}",
                status=status,
                online=bool(online),
                payment_status=payment,
                seats_taken=None,
                capacity=None,
            )
        )
    return events


def _raw_rows(qs, fields: tuple[str, ...]) -> list[tuple]:
    """The rows of `qs` as the database driver gives them: the ORM's converters, value
    by value, cost more than half of a week's answer with 2,000 bookings (bench/), so
    the few types read here are taken as they come (_instant, _uuid_text)."""
    try:
        sql, params = qs.values_list(*fields).query.sql_with_params()
    except EmptyResultSet:  # no column: the ORM would not ask the database either
        return []
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _instant(value) -> datetime:
    """An aware datetime: PostgreSQL's drivers give one; SQLite keeps UTC as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _uuid_text(value) -> str:
    """A booking id as the API writes it: SQLite keeps 32 hex digits, PostgreSQL a UUID."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _sessions(qs, field: str, names: dict[int, str], zone: ZoneInfo) -> list[Event]:
    rows = (
        qs.annotate(taken=seats_taken_subquery())
        .order_by()
        .values_list("id", field, "service_id", "start", "end", "online", "capacity", "taken")
    )
    return [
        Event(
            id=f"session-{pk}",
            kind="session",
            resource_ids=[str(column)],
            start=start.astimezone(zone),
            end=end.astimezone(zone),
            title=names.get(service, ""),
            status=None,
            online=online,
            payment_status=None,
            seats_taken=taken,
            capacity=capacity,
        )
        for pk, column, service, start, end, online, capacity, taken in rows
    ]


def _schedules(
    actor: Actor, ids: list[int], window: Window, location_id: int | None, zone: ZoneInfo
) -> tuple[list[Event], list[Hours]]:
    events: list[Event] = []
    hours: list[Hours] = []
    schedules = staff_schedules(
        company=actor.company, staff_ids=ids, window=window, location_id=location_id
    )
    for staff_id, schedule in schedules.items():
        column = [str(staff_id)]
        for a, b in schedule.hours:
            hours.append(
                Hours(str(staff_id), from_epoch(a).astimezone(zone), from_epoch(b).astimezone(zone))
            )
        private = access_sees_time_off_reason(actor, staff_id)
        for off in schedule.time_off:
            title = _("Time off")
            if private and off.reason:
                title = _("Time off: %(reason)s") % {"reason": off.reason}
            events.append(
                _schedule_event(
                    f"time_off-{off.id}", "time_off", column, off.start, off.end, title, zone
                )
            )
        for day in schedule.closed:
            events.append(
                _schedule_event(
                    f"exception-{day.id}",
                    "exception",
                    column,
                    day.start,
                    day.end,
                    _("Closed"),
                    zone,
                )
            )
    return events, hours


def _schedule_event(
    pk: str, kind: str, column: list[str], start: datetime, end: datetime, title: str, zone
) -> Event:
    return Event(
        id=pk,
        kind=kind,
        resource_ids=column,
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        title=title,
        status=None,
        online=False,
        payment_status=None,
        seats_taken=None,
        capacity=None,
    )
