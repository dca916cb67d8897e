"""Availability: load schedules and bookings from the database, ask the scheduling core;
and every write to a staff member's schedule, one module per entity (schedules: the
weekly hours; time_off; date_exceptions), re-exported here.

Every function of this module runs a fixed number of queries, whatever the number of staff
members or days (a test counts them). The same code answers the slots page and
re-checks a start inside the booking transaction, so what is offered and what is
accepted cannot drift apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, cast
from zoneinfo import ZoneInfo

from django.db.models import Q

from rendezvous.availability.booked import booked
from rendezvous.availability.models import DateException, ExceptionKind, TimeOff, WorkingHours
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.models import Company, Resource, StaffMember
from rendezvous.scheduling.intervals import Interval, intersect, normalize, subtract, to_epoch
from rendezvous.scheduling.rules import DateOverride, WeeklyHours, working_intervals
from rendezvous.scheduling.slots import Calendar, Slot, SlotQuery, find_slots

from .date_exceptions import (
    DateExceptionFields,
    date_exception_create,
    date_exception_delete,
    date_exception_replace,
    date_exception_update,
)
from .schedules import (
    MAX_SPANS,
    HoursFields,
    working_hours_add,
    working_hours_change,
    working_hours_delete,
    working_hours_replace,
)
from .time_off import (
    TimeOffFields,
    time_off_create,
    time_off_delete,
    time_off_replace,
    time_off_update,
)

__all__ = [
    "DateExceptionFields",
    "HoursFields",
    "TimeOffFields",
    "ALWAYS",
    "ClosedDay",
    "MAX_SPANS",
    "NOWHERE",
    "StaffSchedule",
    "TimeOffRow",
    "Window",
    "bookable_resources",
    "bookable_staff",
    "bookable_staff_query",
    "bookings_per_day",
    "date_exception_create",
    "date_exception_delete",
    "date_exception_replace",
    "date_exception_update",
    "open_sessions",
    "resource_calendars",
    "service_location",
    "service_slots",
    "services_given_by",
    "slot_at",
    "slot_query",
    "staff_calendars",
    "staff_schedules",
    "time_off_create",
    "time_off_delete",
    "time_off_replace",
    "time_off_update",
    "working_hours_add",
    "working_hours_change",
    "working_hours_delete",
    "working_hours_replace",
]

# Resources have no hours of their own: they are available whenever a staff member is.
ALWAYS: list[Interval] = [(0, 2**40)]


@dataclass(frozen=True)
class Window:
    """A range of instants to search, with the local dates that cover it in any zone."""

    start: datetime
    end: datetime

    @property
    def days(self) -> tuple[date, date]:
        # One day of margin on each side covers every UTC offset (-12h..+14h).
        return (self.start.date() - timedelta(days=1), self.end.date() + timedelta(days=1))

    @classmethod
    def for_dates(cls, first: date, last: date, zone: ZoneInfo) -> Window:
        return cls(
            datetime.combine(first, time(0), zone),
            datetime.combine(last + timedelta(days=1), time(0), zone),
        )


def slot_query(
    *, company: Company, service: Service, window: Window, now: datetime, public: bool = True
) -> SlotQuery:
    """The engine's question for `service` in `window`. The company's notice and horizon
    bind customers (`public`); staff booking for someone may book any time from now."""
    if not public:
        return replace(
            slot_query(company=company, service=service, window=window, now=now),
            not_before=to_epoch(now),
            not_after=to_epoch(max(window.end, now)),
        )
    return SlotQuery(
        duration=service.duration_minutes * 60,
        step=company.slot_step_minutes * 60,
        buffer_before=service.buffer_before_minutes * 60,
        buffer_after=service.buffer_after_minutes * 60,
        window=(to_epoch(window.start), to_epoch(window.end)),
        not_before=to_epoch(now + timedelta(minutes=company.min_notice_minutes)),
        not_after=to_epoch(now + timedelta(days=company.max_days_ahead)),
        zone=company.zone,
        max_per_day=service.max_per_staff_per_day,
    )


# A location no row has: a location's page asking for a service bound to another one.
NOWHERE = 0


def service_location(service: Service, location_id: int | None) -> int | None:
    """The location whose staff, hours and resources count for `service` asked for at
    `location_id` (a location's page; None: anywhere), or None for every location.

    An appointment service bound to a location is given only there, wherever it is
    asked for; asked for at another location it is given nowhere (NOWHERE). A class is
    given where its sessions are.
    """
    if service.location_id is None or service.kind == ServiceKind.CLASS:
        return location_id
    if location_id is None or location_id == service.location_id:
        return service.location_id
    return NOWHERE


def bookable_staff(
    service: Service,
    *,
    public: bool,
    staff_id: int | None = None,
    location_id: int | None = None,
) -> list[StaffMember]:
    """Who gives the service; `location_id` keeps those who work at that location."""
    return list(
        bookable_staff_query(service, public=public, staff_id=staff_id, location_id=location_id)
    )


def bookable_staff_query(
    service: Service,
    *,
    public: bool,
    staff_id: int | None = None,
    location_id: int | None = None,
):
    """bookable_staff as a query, in id order, for a caller that locks the rows."""
    qs = service.staff.filter(active=True, company_id=service.company_id).order_by("id")
    if public:
        qs = qs.filter(online_bookable=True)
    if staff_id is not None:
        qs = qs.filter(id=staff_id)
    location_id = service_location(service, location_id)
    if location_id is not None:
        qs = qs.filter(locations__id=location_id)
    return qs


def services_given_by(member: StaffMember) -> Q:
    """A filter on Service: what `member` gives and can be booked for (bookable_staff's
    rule seen from the staff member: a service bound to a location only if they work
    there; class services by their sessions, wherever those are)."""
    return Q(staff=member) & (
        Q(kind=ServiceKind.CLASS) | Q(location__isnull=True) | Q(location__staff=member)
    )


def bookable_resources(
    service: Service,
    *,
    public: bool,
    resource_id: int | None = None,
    location_id: int | None = None,
) -> list[Resource] | None:
    """The resources a service may use, or None when it needs none."""
    if not service.resource_kind:
        return None
    qs = Resource.objects.filter(
        company_id=service.company_id, kind=service.resource_kind, active=True
    )
    if public:
        qs = qs.filter(online_bookable=True)
    if resource_id is not None:
        qs = qs.filter(id=resource_id)
    location_id = service_location(service, location_id)
    if location_id is not None:
        qs = qs.filter(Q(location_id=location_id) | Q(location__isnull=True))
    return list(qs.order_by("id"))


def _busy_bookings(
    field: str, ids: Sequence[int], window: Window, exclude: Iterable
) -> Iterable[tuple]:
    return booked().busy(field, ids, window.start, window.end, list(exclude))


def _busy_sessions(field: str, ids: Sequence[int], window: Window) -> Iterable[tuple]:
    """Class sessions near the window that hold these staff members or resources."""
    margin = timedelta(days=1)
    return (
        ClassSession.objects.filter(
            **{f"{field}_id__in": ids},
            cancelled=False,
            start__lt=window.end + margin,
            end__gt=window.start - margin,
        )
        .order_by()
        .values_list(f"{field}_id", "start", "end")
    )


def staff_calendars(
    *,
    company: Company,
    service: Service,
    staff: Sequence[StaffMember],
    window: Window,
    exclude_bookings: Iterable = (),
    location_id: int | None = None,
    any_hours: bool = False,
) -> list[Calendar]:
    """Calendars of these staff members over the window: hours, time off, bookings, classes.

    Only the hours worked at the service's location count, or with `location_id` (a
    location's page) at that one (see service_location); hours and exceptions without a
    location count at every location. `any_hours` (staff booking "outside working
    hours") makes the whole window worked; time off, bookings and classes still count.
    """
    ids = [s.id for s in staff]
    first_day, last_day = window.days
    exclude = list(exclude_bookings)
    company_zone = company.zone
    rows = _working_rows(ids, first_day, last_day, service_location(service, location_id), company)

    busy: dict[int, list[Interval]] = defaultdict(list)
    per_day: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    margin = timedelta(days=1)
    for staff_id, start, end in (
        TimeOff.objects.filter(
            staff_id__in=ids, start__lt=window.end + margin, end__gt=window.start - margin
        )
        .order_by()
        .values_list("staff_id", "start", "end")
    ):
        busy[staff_id].append((to_epoch(start), to_epoch(end)))
    for staff_id, bstart, bend, start in _busy_bookings("staff", ids, window, exclude):
        busy[staff_id].append((to_epoch(bstart), to_epoch(bend)))
        per_day[staff_id][start.astimezone(company_zone).date()] += 1
    for staff_id, start, end in _busy_sessions("staff", ids, window):
        busy[staff_id].append((to_epoch(start), to_epoch(end)))

    calendars = []
    around = (to_epoch(window.start - margin), to_epoch(window.end + margin))
    for member in staff:
        available = [around] if any_hours else _worked(member.id, rows, first_day, last_day)
        calendars.append(
            Calendar(
                id=str(member.id),
                available=available,
                # As queried: the engine takes busy rows in any order (scheduling.slots).
                busy=busy.get(member.id, []),
                per_day=dict(per_day.get(member.id, {})),
            )
        )
    return calendars


class _WorkingRows(NamedTuple):
    """Weekly hours and date exceptions of some staff members, as loaded."""

    hours: dict[tuple[int, int | None], list[WeeklyHours]]
    zones: dict[int | None, ZoneInfo]
    # Per staff member: (location id or None, exception row id, the exception).
    dated: dict[int, list[tuple[int | None, int, _Exception]]]


def _working_rows(
    ids: Sequence[int], first_day: date, last_day: date, location_id: int | None, company: Company
) -> _WorkingRows:
    """Two queries, whatever the number of staff members or days. With `location_id`,
    only the rows of that location and those without one."""
    hours: dict[tuple[int, int | None], list[WeeklyHours]] = defaultdict(list)
    zones: dict[int | None, ZoneInfo] = {None: company.zone}
    # Rows as tuples, unordered: this runs inside every booking's write lock, where
    # model instances and the models' default ordering (a join) cost more than the rest.
    rows = WorkingHours.objects.filter(staff_id__in=ids)
    exceptions = DateException.objects.filter(
        staff_id__in=ids, date__gte=first_day, date__lte=last_day
    )
    if location_id is not None:
        here = Q(location_id=location_id) | Q(location__isnull=True)
        rows = rows.filter(here)
        exceptions = exceptions.filter(here)
    for staff_id, loc, weekday, start, end, zone in rows.order_by().values_list(
        "staff_id", "location_id", "weekday", "start", "end", "location__timezone"
    ):
        hours[(staff_id, loc)].append(WeeklyHours(weekday, start, end))
        if loc is not None:
            zones[loc] = ZoneInfo(zone)

    dated: dict[int, list[tuple[int | None, int, _Exception]]] = defaultdict(list)
    for (
        staff_id,
        loc,
        zone,
        row_id,
        ex_date,
        ex_kind,
        ex_start,
        ex_end,
    ) in exceptions.order_by().values_list(
        "staff_id", "location_id", "location__timezone", "id", "date", "kind", "start", "end"
    ):
        dated[staff_id].append((loc, row_id, _Exception(ex_date, ex_kind, ex_start, ex_end)))
        if loc is not None:
            zones[loc] = ZoneInfo(zone)
    return _WorkingRows(hours, zones, dated)


def _worked(member_id: int, rows: _WorkingRows, first_day: date, last_day: date) -> list[Interval]:
    """A staff member's working intervals (weekly hours with the date exceptions)."""
    available: list[Interval] = []
    dated = rows.dated.get(member_id, ())
    # One schedule per location with weekly hours or dated hours there: extra hours
    # at a location without weekly hours there count too, in that location's zone.
    places = {loc for sid, loc in rows.hours if sid == member_id}
    places.update(loc for loc, _id, _ex in dated if loc is not None)
    for place in places or (None,):
        overrides = _overrides(ex for loc, _id, ex in dated if loc in (None, place))
        available.extend(
            working_intervals(
                rows.hours.get((member_id, place), ()),
                overrides,
                rows.zones[place],
                first_day,
                last_day,
            )
        )
    return normalize(available)


class ClosedDay(NamedTuple):
    """A date exception that closes a staff member's whole day."""

    id: int
    day: date
    # Its local day, in its location's zone (the company's without a location).
    start: datetime
    end: datetime


class TimeOffRow(NamedTuple):
    id: int
    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class StaffSchedule:
    """What one staff member's schedule says about a window (staff_schedules)."""

    hours: list[Interval]  # worked: weekly hours with the date exceptions, time off cut out
    time_off: list[TimeOffRow]
    closed: list[ClosedDay]


def staff_schedules(
    *, company: Company, staff_ids: Sequence[int], window: Window, location_id: int | None = None
) -> dict[int, StaffSchedule]:
    """The working hours, time off and closed days of these staff members in the window
    (the back-office calendar). The hours follow the same rules as the slots
    (staff_calendars), so what the calendar shows as worked is what can be booked, less
    bookings. Three queries, whatever the number of staff members or days.

    `location_id`: only the hours and exceptions at that location (and those without one).
    """
    first_day, last_day = window.days
    rows = _working_rows(staff_ids, first_day, last_day, location_id, company)
    off: dict[int, list[TimeOffRow]] = defaultdict(list)
    for staff_id, off_id, off_start, off_end, reason in (
        TimeOff.objects.filter(staff_id__in=staff_ids, start__lt=window.end, end__gt=window.start)
        .order_by("start", "id")
        .values_list("staff_id", "id", "start", "end", "reason")
    ):
        off[staff_id].append(TimeOffRow(off_id, off_start, off_end, reason))
    bounds = [(to_epoch(window.start), to_epoch(window.end))]
    result = {}
    for staff_id in staff_ids:
        time_off = off.get(staff_id, [])
        worked = intersect(_worked(staff_id, rows, first_day, last_day), bounds)
        if time_off:
            worked = subtract(
                worked, normalize((to_epoch(t.start), to_epoch(t.end)) for t in time_off)
            )
        closed = []
        for loc, row_id, ex in rows.dated.get(staff_id, ()):
            if ex.kind != ExceptionKind.CLOSED:
                continue
            day = _local_day(ex.date, rows.zones[loc])
            if day[0] < window.end and day[1] > window.start:
                closed.append(ClosedDay(row_id, ex.date, *day))
        closed.sort(key=lambda c: (c.start, c.id))
        result[staff_id] = StaffSchedule(hours=worked, time_off=time_off, closed=closed)
    return result


def _local_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, time(0), zone),
        datetime.combine(day + timedelta(days=1), time(0), zone),
    )


def resource_calendars(
    *, resources: Sequence[Resource], window: Window, exclude_bookings: Iterable = ()
) -> list[Calendar]:
    ids = [r.id for r in resources]
    busy: dict[int, list[Interval]] = defaultdict(list)
    for resource_id, bstart, bend, _start in _busy_bookings(
        "resource", ids, window, exclude_bookings
    ):
        busy[resource_id].append((to_epoch(bstart), to_epoch(bend)))
    for resource_id, start, end in _busy_sessions("resource", ids, window):
        busy[resource_id].append((to_epoch(start), to_epoch(end)))
    return [Calendar(id=str(r.id), available=ALWAYS, busy=busy.get(r.id, [])) for r in resources]


class _Exception(NamedTuple):
    """The fields of a DateException row that the rules need."""

    date: date
    kind: str
    start: time | None
    end: time | None


def _overrides(exceptions: Iterable[_Exception]) -> list[DateOverride]:
    """Fold the exception rows of each date into one override per date and mode."""
    replace: dict[date, list[tuple[time, time]]] = {}
    add: dict[date, list[tuple[time, time]]] = defaultdict(list)
    for ex in exceptions:
        if ex.kind == ExceptionKind.CLOSED:
            replace.setdefault(ex.date, [])
        elif ex.kind == ExceptionKind.HOURS and ex.start is not None and ex.end is not None:
            replace.setdefault(ex.date, []).append((ex.start, ex.end))
        elif ex.kind == ExceptionKind.EXTRA and ex.start is not None and ex.end is not None:
            add[ex.date].append((ex.start, ex.end))
    result = [DateOverride(day=d, hours=tuple(h), mode="replace") for d, h in replace.items()]
    result += [DateOverride(day=d, hours=tuple(h), mode="add") for d, h in add.items()]
    return result


def service_slots(
    *,
    company: Company,
    service: Service,
    window: Window,
    now: datetime,
    staff_id: int | None = None,
    public: bool = True,
    exclude_bookings: Iterable = (),
    staff: Sequence[StaffMember] | None = None,
    resources: Sequence[Resource] | None = None,
    location_id: int | None = None,
    any_hours: bool = False,
) -> list[Slot]:
    """Free starts of an appointment service in the window, each with the staff who can take it.

    `location_id` narrows to one location: its staff, their hours there, its resources.
    `any_hours` counts the staff as working all day (see staff_calendars).
    """
    if staff is None:
        staff = bookable_staff(service, public=public, staff_id=staff_id, location_id=location_id)
    if resources is None:
        resources = bookable_resources(service, public=public, location_id=location_id)
    if not staff:
        return []
    exclude = list(exclude_bookings)
    query = slot_query(company=company, service=service, window=window, now=now, public=public)
    staff_cals = staff_calendars(
        company=company,
        service=service,
        staff=staff,
        window=window,
        exclude_bookings=exclude,
        location_id=location_id,
        any_hours=any_hours,
    )
    resource_cals = (
        None
        if resources is None
        else resource_calendars(resources=resources, window=window, exclude_bookings=exclude)
    )
    return find_slots(query, staff_cals, resource_cals)


def slot_at(
    *,
    company: Company,
    service: Service,
    start: datetime,
    now: datetime,
    staff: Sequence[StaffMember],
    resources: Sequence[Resource] | None,
    exclude_bookings: Iterable = (),
    location_id: int | None = None,
    public: bool = True,
    any_hours: bool = False,
) -> Slot | None:
    """The live slot at exactly `start` (on the grid, within notice and horizon, which
    bind only `public` bookings), or None."""
    window = Window(start, start + timedelta(seconds=1))
    slots = service_slots(
        company=company,
        service=service,
        window=window,
        now=now,
        staff=staff,
        resources=resources,
        exclude_bookings=exclude_bookings,
        location_id=location_id,
        public=public,
        any_hours=any_hours,
    )
    epoch = to_epoch(start)
    return next((s for s in slots if s.start == epoch), None)


def bookings_per_day(staff_ids: Sequence[str], slot: Slot, zone: ZoneInfo) -> dict[str, int]:
    """How many active bookings each staff member has on the slot's local day, for fair picks."""
    day = datetime.fromtimestamp(slot.start, zone).date()
    start = datetime.combine(day, time(0), zone)
    counts = dict.fromkeys(staff_ids, 0)
    if len(staff_ids) < 2:
        return counts  # no choice to make
    rows = booked().per_day([int(s) for s in staff_ids], start, start + timedelta(days=1))
    for staff_id in rows:
        counts[str(staff_id)] += 1
    return counts


def open_sessions(
    *,
    company: Company,
    service: Service,
    window: Window,
    now: datetime,
    staff_id: int | None = None,
    location_id: int | None = None,
) -> list[ClassSession]:
    """A class service's sessions that start in the window after the minimum notice, in
    order, each with `seats_left` (full ones included: pages show them as full)."""
    notice = timedelta(minutes=company.min_notice_minutes)
    sessions = ClassSession.objects.filter(
        service=service,
        cancelled=False,
        start__gte=max(window.start, now + notice),
        start__lt=window.end,
    ).annotate(taken=booked().seats_taken())
    if staff_id is not None:
        sessions = sessions.filter(staff_id=staff_id)
    if location_id is not None:
        sessions = sessions.filter(Q(location_id=location_id) | Q(location__isnull=True))
    result = list(sessions.order_by("start"))
    for session in result:
        session.seats_left = max(0, session.capacity - session.taken)
    # Each item is a ClassSession (annotated with `taken`): a list of them as declared.
    return cast("list[ClassSession]", result)
