"""Back office: services and class sessions (staff API, /companies/{company}/manage/...).

The public `GET /companies/{company}/services` lists what customers may book; these
endpoints are the back office's view and edits (inactive services too, every field),
hence their own /manage/ paths. Who may do what is decided in companies.access
(access_manage_catalog, access_manage_sessions) and documented in docs/api.md; each
handler parses, calls one domain function (catalog.domain for services,
bookings.domain for sessions), renders.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Status

from rendezvous.bookings.domain import sessions
from rendezvous.bookings.models import seats_taken_by_session
from rendezvous.catalog import domain as catalog
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.access import (
    Actor,
    access_company,
    access_company_row,
    access_manage_catalog,
    access_manage_sessions,
)
from rendezvous.companies.models import Company
from rendezvous.core.errors import ValidationFailed

from .common import parse_id, parse_zone
from .errors import STAFF_ERRORS, STAFF_WRITE_ERRORS, answers
from .routing import router
from .schemas import (
    ApiDate,
    ManagedServiceOut,
    ServiceCreate,
    ServicePage,
    ServicePatch,
    SessionCancelledOut,
    SessionCreate,
    SessionOut,
    SessionPage,
    SessionPatch,
)
from .staff import STAFF, cursor_query, paginate

SERVICES = "/companies/{company}/manage/services"
SESSIONS = "/companies/{company}/manage/sessions"


def service_out(service: Service, company: Company) -> dict:
    return {
        "id": str(service.pk),
        "name": service.name,
        "description": service.description,
        "kind": service.kind,
        "category": str(service.category_id) if service.category_id else None,
        "category_name": service.category.name if service.category_id else None,
        "duration_minutes": service.duration_minutes,
        "buffer_before_minutes": service.buffer_before_minutes,
        "buffer_after_minutes": service.buffer_after_minutes,
        "price": service.price,
        "currency": service.currency or company.currency,
        "online_meeting": service.online_meeting,
        "requires_confirmation": service.requires_confirmation,
        "requires_payment": service.requires_payment,
        "resource_kind": service.resource_kind,
        "max_per_staff_per_day": service.max_per_staff_per_day,
        "staff": [str(m.pk) for m in service.staff.all()],
        "location": str(service.location_id) if service.location_id else None,
        "active": service.active,
        "position": service.position,
        "translations": service.translations or {},
    }


def _services(company: Company):
    return (
        Service.objects.filter(company=company)
        .select_related("category")
        .prefetch_related("staff")
        .order_by("position", "name", "id")
    )


def _service(actor: Actor, service_id: str) -> Service:
    return access_company_row(actor, Service, parse_id(service_id, "service"))


def _bool_filter(value: str | None, field: str) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ValidationFailed(fields={field: [_("Enter true or false.")]})
    return value == "true"


@router.get(SERVICES, **STAFF, response=answers(ServicePage, *STAFF_ERRORS))
def service_list(
    request: HttpRequest,
    company: str,
    active: str | None = None,
    kind: str | None = None,
    cursor: int = cursor_query(),
):
    """Every service of the company, inactive ones too. Any role may read."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    qs = _services(c)
    is_active = _bool_filter(active, "active")
    if is_active is not None:
        qs = qs.filter(active=is_active)
    if kind is not None:
        if kind not in ServiceKind.values:
            raise ValidationFailed(fields={"kind": [_("Choose appointment or class.")]})
        qs = qs.filter(kind=kind)
    rows, next_url = paginate(request, qs, cursor)
    return {"results": [service_out(s, c) for s in rows], "next": next_url}


@router.post(SERVICES, **STAFF, response=answers({201: ManagedServiceOut}, *STAFF_WRITE_ERRORS))
def service_create(request: HttpRequest, company: str, payload: ServiceCreate):
    """Add a service. Admins only."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_catalog(actor)
    service = catalog.service_create(
        company=c, fields=catalog.ServiceFields(**payload.model_dump(exclude_unset=True))
    )
    return Status(201, service_out(_services(c).get(pk=service.pk), c))


@router.get(SERVICES + "/{service_id}", **STAFF, response=answers(ManagedServiceOut, *STAFF_ERRORS))
def service_get(request: HttpRequest, company: str, service_id: str):
    actor: Actor = request.auth
    c = access_company(actor, company)
    return service_out(_services(c).get(pk=_service(actor, service_id).pk), c)


@router.patch(
    SERVICES + "/{service_id}",
    **STAFF,
    response=answers(ManagedServiceOut, *STAFF_WRITE_ERRORS, 409),
)
def service_patch(request: HttpRequest, company: str, service_id: str, payload: ServicePatch):
    """Change the fields sent (null clears category, location and the daily limit).
    Admins only."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_catalog(actor)
    service = catalog.service_update(
        service=_service(actor, service_id),
        fields=catalog.ServiceFields(**payload.model_dump(exclude_unset=True)),
    )
    return service_out(_services(c).get(pk=service.pk), c)


@router.post(
    SERVICES + "/{service_id}/deactivate",
    **STAFF,
    response=answers(ManagedServiceOut, *STAFF_ERRORS),
)
def service_deactivate(request: HttpRequest, company: str, service_id: str):
    """Take the service off the booking pages; its bookings stay. PATCH `active: true`
    brings it back. Admins only."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_catalog(actor)
    service = catalog.service_deactivate(service=_service(actor, service_id))
    return service_out(_services(c).get(pk=service.pk), c)


# -- class sessions ------------------------------------------------------------------


def session_out(session: ClassSession, zone: ZoneInfo, taken: int) -> dict:
    return {
        "id": str(session.pk),
        "service": str(session.service_id),
        "service_name": session.service.name,
        "staff": str(session.staff_id) if session.staff_id else None,
        "location": str(session.location_id) if session.location_id else None,
        "resource": str(session.resource_id) if session.resource_id else None,
        "start": session.start.astimezone(zone),
        "end": session.end.astimezone(zone),
        "timezone": zone.key,
        "capacity": session.capacity,
        "seats_taken": taken,
        "seats_left": max(0, session.capacity - taken),
        "online": session.online,
        "cancelled": session.cancelled,
    }


def _render_session(session: ClassSession, zone: ZoneInfo) -> dict:
    fresh = ClassSession.objects.select_related("service").get(pk=session.pk)
    taken = seats_taken_by_session([fresh]).get(fresh.pk, 0)
    return session_out(fresh, zone, taken)


def _session(actor: Actor, session_id: str) -> ClassSession:
    return access_company_row(actor, ClassSession, parse_id(session_id, "session"))


@router.get(SESSIONS, **STAFF, response=answers(SessionPage, *STAFF_ERRORS))
def session_list(
    request: HttpRequest,
    company: str,
    from_: ApiDate | None = Query(None, alias="from"),
    to: ApiDate | None = None,
    service: str | None = None,
    staff: str | None = None,
    tz: str | None = None,
    cursor: int = cursor_query(),
):
    """Class sessions by start (dates inclusive, in `tz` or the company's zone), with
    seats taken. Any role may read."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    zone = parse_zone(tz, c.zone)
    if from_ and to and to < from_:
        raise ValidationFailed(fields={"to": [_("The end date is before the start date.")]})
    qs = ClassSession.objects.filter(company=c).select_related("service").order_by("start", "id")
    if from_:
        qs = qs.filter(start__gte=dt.datetime.combine(from_, dt.time(0), zone))
    if to:
        qs = qs.filter(start__lt=dt.datetime.combine(to + dt.timedelta(days=1), dt.time(0), zone))
    if service:
        qs = qs.filter(service_id=parse_id(service, "service"))
    if staff:
        qs = qs.filter(staff_id=parse_id(staff, "staff"))
    rows, next_url = paginate(request, qs, cursor)
    taken = seats_taken_by_session(rows)
    return {
        "results": [session_out(s, zone, taken.get(s.pk, 0)) for s in rows],
        "next": next_url,
    }


@router.post(SESSIONS, **STAFF, response=answers({201: SessionOut}, *STAFF_WRITE_ERRORS, 409))
def session_create(request: HttpRequest, company: str, payload: SessionCreate):
    """Schedule a session of a class service. The staff member and resource must be free
    then (409 slot_unavailable). Admins and senior employees."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_sessions(actor)
    session = sessions.session_create(
        company=c, fields=sessions.SessionFields(**payload.model_dump(exclude_unset=True))
    )
    return Status(201, _render_session(session, c.zone))


@router.get(SESSIONS + "/{session_id}", **STAFF, response=answers(SessionOut, *STAFF_ERRORS))
def session_get(request: HttpRequest, company: str, session_id: str, tz: str | None = None):
    actor: Actor = request.auth
    c = access_company(actor, company)
    return _render_session(_session(actor, session_id), parse_zone(tz, c.zone))


@router.patch(
    SESSIONS + "/{session_id}", **STAFF, response=answers(SessionOut, *STAFF_WRITE_ERRORS, 409)
)
def session_patch(request: HttpRequest, company: str, session_id: str, payload: SessionPatch):
    """Change a session. Moving it (start, end, staff, resource, location) moves its
    bookings, their meeting and tells their customers; the capacity cannot drop below
    the seats taken. Admins and senior employees."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_sessions(actor)
    session = sessions.session_update(
        session=_session(actor, session_id),
        fields=sessions.SessionFields(**payload.model_dump(exclude_unset=True)),
    )
    return _render_session(session, c.zone)


@router.delete(
    SESSIONS + "/{session_id}", **STAFF, response=answers({204: None}, *STAFF_ERRORS, 409)
)
def session_delete(request: HttpRequest, company: str, session_id: str):
    """Delete a session that never had a booking (else 409: cancel it instead).
    Admins and senior employees."""
    actor: Actor = request.auth
    access_company(actor, company)
    access_manage_sessions(actor)
    sessions.session_delete(session=_session(actor, session_id))
    return Status(204, None)


@router.post(
    SESSIONS + "/{session_id}/cancel",
    **STAFF,
    response=answers(SessionCancelledOut, *STAFF_ERRORS, 409),
)
def session_cancel(request: HttpRequest, company: str, session_id: str):
    """Cancel a session with every active booking in it: the customers are told, the
    meeting's links are revoked, and paid bookings are listed as refunds due (409 if it
    is already cancelled). Admins and senior employees."""
    actor: Actor = request.auth
    c = access_company(actor, company)
    access_manage_sessions(actor)
    done = sessions.session_cancel(session=_session(actor, session_id))
    return _render_session(done.session, c.zone) | {
        "cancelled_bookings": [str(b.pk) for b in done.cancelled],
        "refunds_due": [str(b.pk) for b in done.refunds_due],
    }
