"""Staff endpoints (Authorization: Bearer <api token>). Every lookup goes through the
access_* helpers, so a junior's token reaches only their own staff profile's bookings.

Bookings live here; the back office's services and class sessions are in staff_catalog,
staff members and their schedules in staff_team (same router, docs/api.md).
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from rendezvous.bookings import domain
from rendezvous.bookings.access import access_booking, access_bookings
from rendezvous.bookings.domain.locking import booking_transaction
from rendezvous.bookings.models import BookingStatus, PaymentStatus
from rendezvous.companies.access import (
    Actor,
    access_api_token,
    access_company,
    access_member,
    access_record_payments,
)
from rendezvous.companies.domain import api_token_touch
from rendezvous.core.audit import STAFF as STAFF_ACTOR
from rendezvous.core.audit import Who, acting_as
from rendezvous.core.errors import Forbidden, InvalidState, ValidationFailed
from rendezvous.meetings.domain.reveal import meeting_prefetch
from rendezvous.payments.domain.charges import booking_amount
from rendezvous.payments.domain.checkout import payment_prefetch, payment_record
from rendezvous.payments.domain.money import parse_amount

from .common import get_company, parse_id, parse_uuid, parse_zone
from .errors import STAFF_ERRORS, STAFF_WRITE_ERRORS, answers
from .routing import router
from .schemas import (
    ApiDate,
    BookingPage,
    BookingPatch,
    ConfirmIn,
    PaymentRecordIn,
    StaffBookingOut,
    staff_booking_out,
)

PAGE_SIZE = 50
# Offsets past this are refused as validation errors: far beyond any real list, and well
# inside the 64-bit integers the databases accept in LIMIT/OFFSET.
CURSOR_MAX = 10**9


def cursor_query():
    """The `cursor` query parameter of every staff list, bounded by its schema."""
    return Query(0, ge=0, le=CURSOR_MAX)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        now = timezone.now()
        found = access_api_token(token, now=now)
        if found is None:
            return None
        row, actor = found
        api_token_touch(token=row, now=now)
        acting_as(Who(STAFF_ACTOR, row.user_id, _("API token %(name)s") % {"name": row.name}))
        return actor


class SessionMemberAuth(APIKeyCookie):
    """The back office's own pages: a signed-in member of the path's company (the
    browser's session cookie), as the Actor of their membership.

    For operations whose path names `{company}`; elsewhere it answers no one. An unsafe
    method also needs Django's CSRF token (header X-CSRFToken), as a form would: a
    cookie alone is sent by any site's page. Refusals are ours (403 `forbidden`, 404
    `not_found`), not ninja's plain 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = getattr(request, "user", None)
        match = request.resolver_match
        slug = match.kwargs.get("company") if match else None
        if user is None or not user.is_authenticated or slug is None:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise Forbidden(_("The CSRF token is missing or wrong."))
        return access_member(user, get_company(slug))


SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

STAFF = {"auth": TokenAuth(), "tags": ["staff"]}
# Back-office endpoints that its pages fetch with the session, and clients with a token.
BACK_OFFICE: dict[str, Any] = {"auth": [TokenAuth(), SessionMemberAuth()], "tags": ["staff"]}


def paginate(request: HttpRequest, qs, cursor: int) -> tuple[list, str | None]:
    """One page of an ordered queryset and the URL of the next (None on the last): the
    same `cursor` offset parameter on every staff list."""
    rows = list(qs[cursor : cursor + PAGE_SIZE + 1])
    next_url = None
    if len(rows) > PAGE_SIZE:
        params = request.GET.copy()
        params["cursor"] = str(cursor + PAGE_SIZE)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return rows[:PAGE_SIZE], next_url


@router.get("/companies/{company}/bookings", **STAFF, response=answers(BookingPage, *STAFF_ERRORS))
def bookings_list(
    request: HttpRequest,
    company: str,
    from_: ApiDate | None = Query(None, alias="from"),
    to: ApiDate | None = None,
    staff: str | None = None,
    status: str | None = None,
    tz: str | None = None,
    cursor: int = cursor_query(),
):
    actor: Actor = request.auth
    c = access_company(actor, company)
    zone = parse_zone(tz, c.zone)
    # company and staff: the reveal rule reads them for every online row; service: the
    # amount and methods of every row that asks for payment.
    qs = (
        access_bookings(actor)
        .select_related("company", "staff", "service__company")
        .order_by("start", "id")
    )
    if from_:
        qs = qs.filter(start__gte=dt.datetime.combine(from_, dt.time(0), zone))
    if to:
        qs = qs.filter(start__lt=dt.datetime.combine(to + dt.timedelta(days=1), dt.time(0), zone))
    if staff:
        qs = qs.filter(staff_id=parse_id(staff, "staff"))
    if status:
        if status not in BookingStatus.values:
            raise ValidationFailed(fields={"status": [_("Unknown status.")]})
        qs = qs.filter(status=status)
    rows, next_url = paginate(request, qs, cursor)
    # Meetings, host tokens and visibility for the whole page at once: the query count
    # stays the same however many rows are online (a test counts them).
    prefetched = meeting_prefetch(rows, actor)
    payments = payment_prefetch(rows)
    return {
        "results": [staff_booking_out(b, zone, actor, prefetched, payments) for b in rows],
        "next": next_url,
    }


@router.get(
    "/companies/{company}/bookings/{booking_id}",
    **STAFF,
    response=answers(StaffBookingOut, *STAFF_ERRORS),
)
def booking_get(request: HttpRequest, company: str, booking_id: str):
    actor: Actor = request.auth
    access_company(actor, company)
    return staff_booking_out(
        access_booking(actor, parse_uuid(booking_id)), actor.company.zone, actor
    )


@router.patch(
    "/companies/{company}/bookings/{booking_id}",
    **STAFF,
    response=answers(StaffBookingOut, *STAFF_WRITE_ERRORS, 409),
)
def booking_patch(request: HttpRequest, company: str, booking_id: str, payload: BookingPatch):
    actor: Actor = request.auth
    access_company(actor, company)
    booking = access_booking(actor, parse_uuid(booking_id))
    if payload.payment_status is not None and payload.payment_status not in PaymentStatus.values:
        raise ValidationFailed(fields={"payment_status": [_("Unknown payment status.")]})
    # One request, one change: a refusal of a later field takes back the earlier ones (the
    # domain functions' own transactions nest; their after-commit work waits for this one).
    with booking_transaction():
        # "By video" before the status: unticking it on a booking being cancelled in the
        # same request must not meet the "not active any more" refusal.
        if payload.online is not None:
            booking = domain.booking_set_online(booking=booking, online=payload.online)
        if payload.status is not None:
            booking = _apply_status(booking, payload.status)
        if payload.payment_status is not None:
            booking = domain.booking_record_payment(booking=booking, status=payload.payment_status)
        if payload.notes is not None:
            booking = domain.booking_set_notes(booking=booking, notes=payload.notes)
    return staff_booking_out(access_booking(actor, booking.pk), actor.company.zone, actor)


def _apply_status(booking, status: str):
    if status == booking.status:
        return booking
    if status == BookingStatus.CANCELLED:
        if booking.status == BookingStatus.REQUESTED:
            return domain.booking_decline(booking=booking)
        return domain.booking_cancel(booking=booking, actor=domain.STAFF)
    if status == BookingStatus.CONFIRMED:
        return domain.booking_confirm(booking=booking)
    if status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
        return domain.booking_mark_outcome(booking=booking, status=status)
    raise InvalidState(_("A booking cannot be set to that status."))


@router.post(
    "/companies/{company}/bookings/{booking_id}/confirm",
    **STAFF,
    response=answers(StaffBookingOut, *STAFF_WRITE_ERRORS, 409),
)
def booking_confirm(
    request: HttpRequest, company: str, booking_id: str, payload: ConfirmIn | None = None
):
    actor: Actor = request.auth
    access_company(actor, company)
    booking = access_booking(actor, parse_uuid(booking_id))
    customer_id = parse_id(payload.customer, "customer") if payload else None
    booking = domain.booking_confirm(booking=booking, customer_id=customer_id)
    return staff_booking_out(access_booking(actor, booking.pk), actor.company.zone, actor)


@router.post(
    "/companies/{company}/bookings/{booking_id}/payments",
    **STAFF,
    response=answers(StaffBookingOut, *STAFF_WRITE_ERRORS, 409),
)
def booking_payment_record(
    request: HttpRequest, company: str, booking_id: str, payload: PaymentRecordIn
):
    """Record money received by hand (admins and seniors): the booking's payment of
    `method` is paid when `amount` is the amount due (400 otherwise); the customer gets
    "payment received" with the join link of a video meeting."""
    actor: Actor = request.auth
    access_company(actor, company)
    access_record_payments(actor)
    booking = access_booking(actor, parse_uuid(booking_id))
    _due, currency = booking_amount(booking)
    payment_record(
        booking=booking,
        method=payload.method,
        amount=parse_amount(payload.amount, currency),
        note=payload.note,
        # The audit entry names the token or member (core.audit.acting_as) either way.
        actor=request.user if request.user.is_authenticated else None,
        now=timezone.now(),
    )
    return staff_booking_out(access_booking(actor, booking.pk), actor.company.zone, actor)


# The back-office endpoints register on the same router (api.routing).
from . import staff_calendar, staff_catalog, staff_team  # noqa: E402, F401
