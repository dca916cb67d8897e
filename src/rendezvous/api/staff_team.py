"""Back office: staff members and their schedules (staff API, /companies/{company}/manage/...).

| path | methods | who may write |
| --- | --- | --- |
| /manage/staff, /manage/staff/{id} | GET, POST, PATCH; POST .../deactivate | admins |
| /manage/staff/{id}/hours | GET, PUT (the whole week) | admins, seniors; a junior their own |
| /manage/staff/{id}/time-off[/{id}] | GET, POST, PUT, DELETE | as hours |
| /manage/staff/{id}/exceptions[/{id}] | GET, POST, PUT, DELETE | as hours |

Reading a schedule follows the same rule as writing it (time off may carry a private
reason), so a junior reads only their own. The decisions live in companies.access;
each handler parses, calls one companies.domain or availability.domain function,
renders.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Status

from rendezvous.availability import domain as schedule
from rendezvous.availability.models import DateException, TimeOff, WorkingHours
from rendezvous.companies import domain as companies
from rendezvous.companies.access import (
    Actor,
    access_company,
    access_company_row,
    access_manage_catalog,
    access_schedule,
)
from rendezvous.companies.models import Company, StaffMember
from rendezvous.core.errors import NotFound, ValidationFailed

from .common import parse_id, parse_zone
from .errors import STAFF_ERRORS, STAFF_WRITE_ERRORS, answers
from .routing import router
from .schemas import (
    ApiDate,
    DateExceptionIn,
    DateExceptionOut,
    DateExceptionPage,
    HoursIn,
    HoursOut,
    StaffMemberCreate,
    StaffMemberOut,
    StaffMemberPage,
    StaffMemberPatch,
    TimeOffIn,
    TimeOffOut,
    TimeOffPage,
)
from .staff import STAFF, cursor_query, paginate

MEMBERS = "/companies/{company}/manage/staff"
MEMBER = MEMBERS + "/{staff_id}"


def member_out(staff: StaffMember) -> dict:
    return {
        "id": str(staff.pk),
        "name": staff.name,
        "email": staff.email,
        "locations": [str(loc.pk) for loc in staff.locations.all()],
        "services": [str(s.pk) for s in staff.services.all()],
        "online_bookable": staff.online_bookable,
        "active": staff.active,
    }


def _members(company: Company):
    return (
        StaffMember.objects.filter(company=company)
        .prefetch_related("locations", "services")
        .order_by("name", "id")
    )


def _member(actor: Actor, staff_id: str) -> StaffMember:
    return access_company_row(actor, StaffMember, parse_id(staff_id, "staff"))


@router.get(MEMBERS, **STAFF, response=answers(StaffMemberPage, *STAFF_ERRORS))
def staff_list(
    request: HttpRequest, company: str, active: str | None = None, cursor: int = cursor_query()
):
    """Every staff member, inactive ones too. Any role may read."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    qs = _members(c)
    if active is not None:
        if active not in ("true", "false"):
            raise ValidationFailed(fields={"active": [_("Enter true or false.")]})
        qs = qs.filter(active=active == "true")
    rows, next_url = paginate(request, qs, cursor)
    return {"results": [member_out(m) for m in rows], "next": next_url}


@router.post(MEMBERS, **STAFF, response=answers({201: StaffMemberOut}, *STAFF_WRITE_ERRORS))
def staff_create(request: HttpRequest, company: str, payload: StaffMemberCreate):
    """Add a staff member (with the locations they work at and the services they give).
    Admins only."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_catalog(actor)
    staff = companies.staff_create(
        company=c, fields=companies.StaffFields(**payload.model_dump(exclude_unset=True))
    )
    return Status(201, member_out(_members(c).get(pk=staff.pk)))


@router.get(MEMBER, **STAFF, response=answers(StaffMemberOut, *STAFF_ERRORS))
def staff_get(request: HttpRequest, company: str, staff_id: str):
    actor: Actor = request.auth
    c = access_company(actor, company)
    return member_out(_members(c).get(pk=_member(actor, staff_id).pk))


@router.patch(MEMBER, **STAFF, response=answers(StaffMemberOut, *STAFF_WRITE_ERRORS))
def staff_patch(request: HttpRequest, company: str, staff_id: str, payload: StaffMemberPatch):
    """Change the fields sent; `locations` and `services` replace the lists. Admins only."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_catalog(actor)
    staff = companies.staff_update(
        staff=_member(actor, staff_id),
        fields=companies.StaffFields(**payload.model_dump(exclude_unset=True)),
    )
    return member_out(_members(c).get(pk=staff.pk))


@router.post(MEMBER + "/deactivate", **STAFF, response=answers(StaffMemberOut, *STAFF_ERRORS))
def staff_deactivate(request: HttpRequest, company: str, staff_id: str):
    """Take a staff member off the booking pages; their bookings stay. Admins only."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_catalog(actor)
    staff = companies.staff_deactivate(staff=_member(actor, staff_id))
    return member_out(_members(c).get(pk=staff.pk))


def _staff_row(model, staff: StaffMember, row_id: str, what: str):
    """A time off or date exception of `staff` (whose schedule the actor may reach);
    NotFound for anyone else's, so ids reveal nothing."""
    row = model.objects.filter(staff=staff, pk=parse_id(row_id, what)).first()
    if row is None:
        raise NotFound()
    return row


# -- weekly hours --------------------------------------------------------------------


def _schedule_owner(actor: Actor, company: str, staff_id: str) -> StaffMember:
    access_company(actor, company)
    return access_schedule(actor, parse_id(staff_id, "staff"))


def hours_out(staff: StaffMember) -> dict:
    rows = WorkingHours.objects.filter(staff=staff).order_by("weekday", "start", "id")
    return {
        "staff": str(staff.pk),
        "hours": [
            {
                "id": str(h.pk),
                "weekday": h.weekday,
                "start": h.start,
                "end": h.end,
                "location": str(h.location_id) if h.location_id else None,
            }
            for h in rows
        ],
    }


@router.get(MEMBER + "/hours", **STAFF, response=answers(HoursOut, *STAFF_ERRORS))
def hours_get(request: HttpRequest, company: str, staff_id: str):
    """The weekly hours, in each location's wall time."""
    return hours_out(_schedule_owner(request.auth, company, staff_id))


@router.put(MEMBER + "/hours", **STAFF, response=answers(HoursOut, *STAFF_WRITE_ERRORS))
def hours_put(request: HttpRequest, company: str, staff_id: str, payload: HoursIn):
    """Replace the whole week (an empty list: no weekly hours). Spans of one weekday may
    not overlap; 00:00 as the end means midnight."""
    staff = _schedule_owner(request.auth, company, staff_id)
    spans = [schedule.HoursFields(**span.model_dump()) for span in payload.hours]
    schedule.working_hours_replace(staff=staff, spans=spans)
    return hours_out(staff)


# -- time off ------------------------------------------------------------------------


def time_off_out(row: TimeOff, zone) -> dict:
    return {
        "id": str(row.pk),
        "staff": str(row.staff_id),
        "start": row.start.astimezone(zone),
        "end": row.end.astimezone(zone),
        "reason": row.reason,
    }


@router.get(MEMBER + "/time-off", **STAFF, response=answers(TimeOffPage, *STAFF_ERRORS))
def time_off_list(
    request: HttpRequest,
    company: str,
    staff_id: str,
    from_: ApiDate | None = Query(None, alias="from"),
    to: ApiDate | None = None,
    tz: str | None = None,
    cursor: int = cursor_query(),
):
    """Time off that overlaps the dates (inclusive, in `tz` or the company's zone)."""
    staff = _schedule_owner(request.auth, company, staff_id)
    zone = parse_zone(tz, staff.company.zone)
    qs = TimeOff.objects.filter(staff=staff).order_by("start", "id")
    if from_:
        qs = qs.filter(end__gt=dt.datetime.combine(from_, dt.time(0), zone))
    if to:
        qs = qs.filter(start__lt=dt.datetime.combine(to + dt.timedelta(days=1), dt.time(0), zone))
    rows, next_url = paginate(request, qs, cursor)
    return {"results": [time_off_out(r, zone) for r in rows], "next": next_url}


@router.post(
    MEMBER + "/time-off", **STAFF, response=answers({201: TimeOffOut}, *STAFF_WRITE_ERRORS)
)
def time_off_create(request: HttpRequest, company: str, staff_id: str, payload: TimeOffIn):
    staff = _schedule_owner(request.auth, company, staff_id)
    row = schedule.time_off_create(
        staff=staff, fields=schedule.TimeOffFields(**payload.model_dump())
    )
    return Status(201, time_off_out(row, staff.company.zone))


@router.put(
    MEMBER + "/time-off/{time_off_id}", **STAFF, response=answers(TimeOffOut, *STAFF_WRITE_ERRORS)
)
def time_off_put(
    request: HttpRequest, company: str, staff_id: str, time_off_id: str, payload: TimeOffIn
):
    staff = _schedule_owner(request.auth, company, staff_id)
    row = schedule.time_off_replace(
        time_off=_staff_row(TimeOff, staff, time_off_id, "time off"),
        fields=schedule.TimeOffFields(**payload.model_dump()),
    )
    return time_off_out(row, staff.company.zone)


@router.delete(
    MEMBER + "/time-off/{time_off_id}", **STAFF, response=answers({204: None}, *STAFF_ERRORS)
)
def time_off_delete(request: HttpRequest, company: str, staff_id: str, time_off_id: str):
    staff = _schedule_owner(request.auth, company, staff_id)
    schedule.time_off_delete(time_off=_staff_row(TimeOff, staff, time_off_id, "time off"))
    return Status(204, None)


# -- date exceptions -----------------------------------------------------------------


def exception_out(row: DateException) -> dict:
    return {
        "id": str(row.pk),
        "staff": str(row.staff_id),
        "date": row.date,
        "kind": row.kind,
        "start": row.start,
        "end": row.end,
        "location": str(row.location_id) if row.location_id else None,
    }


@router.get(MEMBER + "/exceptions", **STAFF, response=answers(DateExceptionPage, *STAFF_ERRORS))
def exception_list(
    request: HttpRequest,
    company: str,
    staff_id: str,
    from_: ApiDate | None = Query(None, alias="from"),
    to: ApiDate | None = None,
    cursor: int = cursor_query(),
):
    """Date exceptions by date (inclusive)."""
    staff = _schedule_owner(request.auth, company, staff_id)
    qs = DateException.objects.filter(staff=staff).order_by("date", "start", "id")
    if from_:
        qs = qs.filter(date__gte=from_)
    if to:
        qs = qs.filter(date__lte=to)
    rows, next_url = paginate(request, qs, cursor)
    return {"results": [exception_out(r) for r in rows], "next": next_url}


@router.post(
    MEMBER + "/exceptions", **STAFF, response=answers({201: DateExceptionOut}, *STAFF_WRITE_ERRORS)
)
def exception_create(request: HttpRequest, company: str, staff_id: str, payload: DateExceptionIn):
    """Closed all day, different hours, or extra hours on one date."""
    staff = _schedule_owner(request.auth, company, staff_id)
    row = schedule.date_exception_create(
        staff=staff, fields=schedule.DateExceptionFields(**payload.model_dump())
    )
    return Status(201, exception_out(row))


@router.put(
    MEMBER + "/exceptions/{exception_id}",
    **STAFF,
    response=answers(DateExceptionOut, *STAFF_WRITE_ERRORS),
)
def exception_put(
    request: HttpRequest,
    company: str,
    staff_id: str,
    exception_id: str,
    payload: DateExceptionIn,
):
    staff = _schedule_owner(request.auth, company, staff_id)
    row = schedule.date_exception_replace(
        exception=_staff_row(DateException, staff, exception_id, "exception"),
        fields=schedule.DateExceptionFields(**payload.model_dump()),
    )
    return exception_out(row)


@router.delete(
    MEMBER + "/exceptions/{exception_id}", **STAFF, response=answers({204: None}, *STAFF_ERRORS)
)
def exception_delete(request: HttpRequest, company: str, staff_id: str, exception_id: str):
    staff = _schedule_owner(request.auth, company, staff_id)
    schedule.date_exception_delete(
        exception=_staff_row(DateException, staff, exception_id, "exception")
    )
    return Status(204, None)
