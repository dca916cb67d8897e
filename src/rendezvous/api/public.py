"""Public endpoints: what the booking site itself uses. No login; bookings are reached
with their manage token in the X-Booking-Token header."""

import json
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from ninja import Header, Query, Status

from rendezvous.availability.cache import cached_answer
from rendezvous.availability.domain import (
    Window,
    bookable_staff_query,
    open_sessions,
    service_slots,
)
from rendezvous.bookings import domain
from rendezvous.bookings.models import Booking
from rendezvous.catalog.models import Service, ServiceKind
from rendezvous.core.errors import NotFound, ValidationFailed
from rendezvous.core.tokens import token_matches
from rendezvous.payments.domain.checkout import payment_start
from rendezvous.public import proof_of_work

from .common import get_company, parse_id, parse_uuid, parse_zone, text_language
from .errors import RateLimited, answers
from .routing import router
from .schemas import (
    ApiDate,
    BookingIn,
    BookingOut,
    CompanyOut,
    PayIn,
    RescheduleIn,
    ServiceOut,
    SlotsOut,
    StaffOut,
    booking_out,
    date_range_days,
    manage_url,
)


@router.get("/companies/{company}", tags=["public"], response=answers(CompanyOut, 404))
def company_detail(request: HttpRequest, company: str):
    c = get_company(company)
    return {
        "id": str(c.id),
        "slug": c.slug,
        "name": c.name,
        "timezone": c.timezone,
        "languages": c.languages,
        "currency": c.currency,
    }


@router.get(
    "/companies/{company}/services", tags=["public"], response=answers(list[ServiceOut], 400, 404)
)
def service_list(request: HttpRequest, company: str, lang: str | None = None):
    """Names, descriptions and categories in `lang` (a language the company offers),
    else in the best language of the Accept-Language header, else in the company's
    default language; a text missing in that language is in the default one."""
    c = get_company(company)
    language = text_language(request, lang, c)
    services = Service.objects.filter(company=c, active=True).select_related("category")
    return [
        {
            "id": str(s.id),
            "name": s.text_in("name", language, company=c),
            "description": s.text_in("description", language, company=c),
            "category": s.category.text_in("name", language, company=c) if s.category else None,
            "kind": s.kind,
            "duration_minutes": s.duration_minutes,
            "price": s.price,
            "currency": s.currency or c.currency,
            "online_meeting": c.online_meetings_enabled and s.online_meeting,
            "requires_confirmation": s.requires_confirmation,
            "requires_payment": s.requires_payment,
        }
        for s in services
    ]


@router.get("/companies/{company}/staff", tags=["public"], response=answers(list[StaffOut], 404))
def staff_list(request: HttpRequest, company: str, service: str | None = None):
    c = get_company(company)
    staff = c.staff.filter(active=True, online_bookable=True).prefetch_related("services")
    if service is not None:
        svc = Service.objects.filter(company=c, id=parse_id(service, "service")).first()
        # Those who can be booked for it: for a service bound to a location, not the
        # ones who give it but never work there.
        staff = (
            staff.filter(id__in=bookable_staff_query(svc, public=True).values("id"))
            if svc is not None
            else staff.none()
        )
    return [
        {
            "id": str(m.id),
            "name": m.name,
            "services": [str(s.id) for s in m.services.all() if s.active],
        }
        for m in staff.distinct()
    ]


@router.get("/companies/{company}/slots", tags=["public"], response=answers(SlotsOut, 400, 404))
def slot_list(
    request: HttpRequest,
    company: str,
    service: str,
    from_: ApiDate = Query(..., alias="from"),
    to: ApiDate = Query(...),
    staff: str | None = None,
    tz: str | None = None,
):
    c = get_company(company)
    zone = parse_zone(tz, c.zone)
    if to < from_:
        raise ValidationFailed(fields={"to": [_("The end date is before the start date.")]})
    if date_range_days(from_, to) > settings.SLOTS_MAX_DAYS:
        raise ValidationFailed(
            fields={"to": [_("At most %(n)d days at once.") % {"n": settings.SLOTS_MAX_DAYS}]}
        )
    service_id = parse_id(service, "service")
    staff_id = parse_id(staff, "staff")
    now = timezone.now()
    # Cached per minute (minimum notice moves with the clock) with the availability
    # version it was computed at, which came with the company row: a hit costs one
    # cache read. The service lookup is skipped on a hit too: an answer stored at the
    # current version was for an active service then, and any change to a service
    # bumps the version (availability/cache.py).
    key = (
        f"slots:{c.id}:{service_id}:{staff_id}:{from_}:{to}:{zone.key}:{int(now.timestamp()) // 60}"
    )

    def compute() -> str:
        svc = Service.objects.filter(company=c, active=True, id=service_id).first()
        if svc is None:
            raise NotFound(_("Unknown service."))
        window = Window.for_dates(from_, to, zone)
        if svc.kind == ServiceKind.CLASS:
            slots = _class_slots(c, svc, window, now, zone, staff_id)
        else:
            slots = [
                {
                    "start": datetime.fromtimestamp(s.start, zone).isoformat(),
                    "end": datetime.fromtimestamp(s.end, zone).isoformat(),
                    "staff": list(s.staff),
                }
                for s in service_slots(
                    company=c, service=svc, window=window, now=now, staff_id=staff_id
                )
            ]
        # Rendered here rather than through the response schema: validating a thousand
        # slot objects one by one cost more than computing them. SlotsOut documents the shape.
        return json.dumps({"service": str(svc.id), "timezone": zone.key, "slots": slots})

    body = cached_answer(key, c.availability_version, compute)
    return HttpResponse(body, content_type="application/json")


def _class_slots(company, service, window, now, zone, staff_id):
    sessions = open_sessions(
        company=company, service=service, window=window, now=now, staff_id=staff_id
    )
    return [
        {
            "start": s.start.astimezone(zone).isoformat(),
            "end": s.end.astimezone(zone).isoformat(),
            "staff": [str(s.staff_id)] if s.staff_id else [],
            "session": str(s.id),
            "seats_left": s.seats_left,
        }
        for s in sessions
    ]


@router.post(
    "/companies/{company}/bookings",
    tags=["public"],
    response=answers({201: BookingOut}, 400, 404, 409, 413, 429),
)
def booking_create(request: HttpRequest, company: str, payload: BookingIn):
    _rate_limit(request)
    c = get_company(company)
    svc = Service.objects.filter(company=c, id=parse_id(payload.service, "service")).first()
    if svc is None:
        raise NotFound(_("Unknown service."))
    if c.altcha_enabled:
        # The booking site's spam check holds for the API too, or it would be the way round it.
        error = proof_of_work.check(c, payload.altcha)
        if error:
            raise ValidationFailed(fields={"altcha": [str(error)]})
    customer = payload.customer
    try:
        created = domain.booking_create(
            company=c,
            service=svc,
            start=payload.start,
            details=domain.CustomerDetails(
                customer.first_name, customer.last_name, customer.email, customer.phone or ""
            ),
            staff_id=parse_id(payload.staff, "staff"),
            session_id=parse_id(payload.session, "session"),
            online=payload.online,
            notes=payload.notes or "",
            language=payload.language,
            participants=payload.participants,
            source="api",
        )
    except ValidationFailed as exc:
        # The domain names customer fields plainly; the API nests them under "customer".
        if exc.fields:
            exc.fields = {
                (f"customer.{k}" if k in {"first_name", "last_name", "email", "phone"} else k): v
                for k, v in exc.fields.items()
            }
        raise
    return Status(201, booking_out(created.booking, c.zone, created.manage_token))


def _booking_for_token(booking_id: str, token: str | None) -> Booking:
    booking = (
        Booking.objects.filter(pk=parse_uuid(booking_id))
        .select_related("company", "service")
        .first()
    )
    if booking is None or not token or not token_matches(token, booking.manage_token_hash):
        raise NotFound(_("Unknown booking."))
    return booking


@router.get("/bookings/{booking_id}", tags=["public"], response=answers(BookingOut, 400, 404))
def booking_detail(
    request: HttpRequest,
    booking_id: str,
    tz: str | None = None,
    x_booking_token: str | None = Header(default=None, alias="X-Booking-Token"),
):
    booking = _booking_for_token(booking_id, x_booking_token)
    return booking_out(booking, parse_zone(tz, booking.company.zone), x_booking_token)


@router.post(
    "/bookings/{booking_id}/cancel", tags=["public"], response=answers(BookingOut, 404, 409)
)
def booking_cancel(
    request: HttpRequest,
    booking_id: str,
    x_booking_token: str | None = Header(default=None, alias="X-Booking-Token"),
):
    booking = _booking_for_token(booking_id, x_booking_token)
    booking = domain.booking_cancel(booking=booking, actor=domain.CUSTOMER)
    return booking_out(booking, booking.company.zone, x_booking_token)


@router.post(
    "/bookings/{booking_id}/reschedule",
    tags=["public"],
    response=answers(BookingOut, 400, 404, 409, 413),
)
def booking_reschedule(
    request: HttpRequest,
    booking_id: str,
    payload: RescheduleIn,
    x_booking_token: str | None = Header(default=None, alias="X-Booking-Token"),
):
    booking = _booking_for_token(booking_id, x_booking_token)
    booking = domain.booking_reschedule(booking=booking, start=payload.start, actor=domain.CUSTOMER)
    return booking_out(booking, booking.company.zone, x_booking_token)


@router.post(
    "/bookings/{booking_id}/pay", tags=["public"], response=answers(BookingOut, 400, 404, 409, 413)
)
def booking_pay(
    request: HttpRequest,
    booking_id: str,
    payload: PayIn,
    x_booking_token: str | None = Header(default=None, alias="X-Booking-Token"),
):
    """Start paying the booking by `method` (one the booking's `payment.methods` offers):
    a bank transfer answers its `reference` and `due` date, a card its `checkout_url`
    to send the customer to. A second call with the same method answers the same payment."""
    booking = _booking_for_token(booking_id, x_booking_token)
    back = manage_url(booking, x_booking_token or "")
    payment_start(
        booking=booking,
        method=payload.method,
        success_url=back + "?done=paid",
        cancel_url=back,
        now=timezone.now(),
    )
    return booking_out(booking, booking.company.zone, x_booking_token)


def _rate_limit(request: HttpRequest) -> None:
    rate = settings.BOOKING_RATE_LIMIT
    if rate == "off":
        return
    usage = get_usage(
        request, group="booking_create", key="ip", rate=rate, method="POST", increment=True
    )
    if usage and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))
