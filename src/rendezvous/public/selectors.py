"""Read-only queries of the booking site. Slots come from availability.domain, the same
code that the API lists and that booking_create re-checks with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.shortcuts import get_object_or_404

from rendezvous.availability.domain import (
    Window,
    bookable_staff,
    open_sessions,
    service_slots,
    services_given_by,
)
from rendezvous.catalog.models import Service, ServiceKind
from rendezvous.companies.models import Company, Location, Resource, StaffMember
from rendezvous.core.calendar import in_calendar
from rendezvous.scheduling.intervals import from_epoch

SCOPES = ("location", "staff", "resource", "service")


@dataclass(frozen=True)
class Scope:
    """What a booking page is narrowed to: the whole company, or one location, staff
    member, resource or service (the "resource-specific URL" a business shares)."""

    company: Company
    kind: str | None = None
    location: Location | None = None
    staff: StaffMember | None = None
    resource: Resource | None = None
    service: Service | None = None

    @property
    def path(self) -> str:
        obj = self.location or self.staff or self.resource or self.service
        return f"{self.kind}/{obj.pk}/" if self.kind and obj else ""

    @property
    def title(self) -> str:
        if self.service is not None:
            return self.service.local_name
        obj = self.location or self.staff or self.resource
        return obj.name if obj else ""


def company_for_page(slug: str) -> Company:
    return get_object_or_404(Company, slug=slug)


def scope_for(company: Company, kind: str | None, pk: int | None) -> Scope:
    if kind is None:
        return Scope(company)
    if kind == "location":
        return Scope(company, kind, location=get_object_or_404(Location, company=company, pk=pk))
    if kind == "staff":
        member = get_object_or_404(
            StaffMember, company=company, pk=pk, active=True, online_bookable=True
        )
        return Scope(company, kind, staff=member)
    if kind == "resource":
        resource = get_object_or_404(
            Resource, company=company, pk=pk, active=True, online_bookable=True
        )
        return Scope(company, kind, resource=resource)
    service = get_object_or_404(Service, company=company, pk=pk, active=True)
    return Scope(company, kind, service=service)


def services(scope: Scope) -> list[Service]:
    qs = (
        Service.objects.filter(company=scope.company, active=True)
        .select_related("category", "location", "company")
        .order_by("category__position", "category__name", "position", "name")
    )
    if scope.service:
        qs = qs.filter(pk=scope.service.pk)
    if scope.staff:
        qs = qs.filter(services_given_by(scope.staff) | Q(sessions__staff=scope.staff)).distinct()
    if scope.resource:
        qs = qs.filter(resource_kind=scope.resource.kind)
    if scope.location:
        qs = qs.filter(Q(location=scope.location) | Q(location__isnull=True))
    return list(qs)


def service_in_scope(scope: Scope, service_id: str | None) -> Service | None:
    if not service_id or not service_id.isdigit() or len(service_id) > 18:
        return None
    return next((s for s in services(scope) if s.pk == int(service_id)), None)


def staff_choices(scope: Scope, service: Service) -> list[StaffMember]:
    """Who may be picked for this service on this page (public, active, in scope)."""
    staff = bookable_staff(service, public=True)
    if scope.staff:
        staff = [s for s in staff if s.pk == scope.staff.pk]
    if scope.location:
        ids = set(scope.location.staff.values_list("id", flat=True))
        staff = [s for s in staff if s.pk in ids]
    return staff


def is_online(service: Service) -> bool:
    return service.company.online_meetings_enabled and service.online_meeting


def service_zone(service: Service) -> ZoneInfo | None:
    """The zone an in-person service at a location locks its times to, else None."""
    if service.location_id and not is_online(service):
        assert service.location is not None  # location_id is set
        return ZoneInfo(service.location.timezone)
    return None


@dataclass(frozen=True)
class Option:
    """One bookable start (appointment) or class session, as the week view shows it."""

    start: datetime
    end: datetime
    value: str  # what the form posts back: the start in UTC, or the session id
    seats_left: int | None = None
    session_id: int | None = None

    @property
    def full(self) -> bool:
        return self.seats_left is not None and self.seats_left <= 0


def encode_start(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def decode_start(value: str | None) -> datetime | None:
    if not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo and in_calendar(parsed) else None


def appointment_options(
    *,
    scope: Scope,
    service: Service,
    staff_id: int | None,
    window: Window,
    now: datetime,
    exclude_bookings=(),
) -> list[Option]:
    staff = staff_choices(scope, service)
    if staff_id is not None:
        staff = [s for s in staff if s.pk == staff_id]
    resources = None
    if scope.resource and service.resource_kind == scope.resource.kind:
        resources = [scope.resource]
    slots = service_slots(
        company=scope.company,
        service=service,
        window=window,
        now=now,
        staff=staff,
        resources=resources,
        exclude_bookings=exclude_bookings,
        location_id=scope.location.pk if scope.location else None,
    )
    result = []
    for slot in slots:
        start = from_epoch(slot.start)
        result.append(Option(start, from_epoch(slot.end), encode_start(start)))
    return result


def class_options(*, scope: Scope, service: Service, window: Window, now: datetime) -> list[Option]:
    sessions = open_sessions(
        company=scope.company,
        service=service,
        window=window,
        now=now,
        staff_id=scope.staff.pk if scope.staff else None,
        location_id=scope.location.pk if scope.location else None,
    )
    return [
        Option(
            s.start,
            s.end,
            str(s.pk),
            seats_left=s.seats_left,
            session_id=s.pk,
        )
        for s in sessions
    ]


def options(
    *,
    scope: Scope,
    service: Service,
    staff_id: int | None,
    window: Window,
    now: datetime,
    exclude_bookings=(),
) -> list[Option]:
    if service.kind == ServiceKind.CLASS:
        return class_options(scope=scope, service=service, window=window, now=now)
    return appointment_options(
        scope=scope,
        service=service,
        staff_id=staff_id,
        window=window,
        now=now,
        exclude_bookings=exclude_bookings,
    )


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_open_week(
    *, scope: Scope, service: Service, staff_id: int | None, zone: ZoneInfo, now: datetime
) -> date:
    """The week to open on: this one, or the first of the next four with a free time."""
    today = now.astimezone(zone).date()
    first = week_start(today)
    window = Window.for_dates(first, first + timedelta(days=27), zone)
    found = options(scope=scope, service=service, staff_id=staff_id, window=window, now=now)
    bookable = [o for o in found if not o.full]
    if not bookable:
        return first
    return week_start(bookable[0].start.astimezone(zone).date())
