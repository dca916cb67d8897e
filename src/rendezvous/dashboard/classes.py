"""Class sessions in the back office: a week's sessions with their seats, a new
session, and a session's participants (mark one paid, add one, cancel the session).
Every write is the bookings domain's (session_create, seat_reserve through
booking_create, session_cancel; payments.domain.checkout.payment_received)."""

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rendezvous.bookings import domain as bookings
from rendezvous.bookings.access import access_bookings
from rendezvous.bookings.domain.sessions import CLASS_SESSION, SESSION_MAX
from rendezvous.bookings.models import (
    ACTIVE_STATUSES,
    BookingSource,
    PaymentStatus,
    seats_taken_by_session,
    seats_taken_subquery,
)
from rendezvous.catalog.models import ClassSession, Service, ServiceKind
from rendezvous.companies.access import (
    Actor,
    access_allows,
    access_company_row,
    access_manage_sessions,
    access_record_payments,
    access_sees_staff,
    access_staff_scope,
)
from rendezvous.companies.models import StaffMember
from rendezvous.core.audit import history
from rendezvous.core.calendar import in_calendar
from rendezvous.core.errors import DomainError, NotFound
from rendezvous.payments.domain.checkout import payment_received

from .refusals import form_errors
from .views import aware_start, office_view


def _monday(value: str, today: date) -> date:
    """The Monday of the week asked for; this week for a week that is not a date, or
    lies outside the calendar (whose weeks' arithmetic overflows), as the public
    pages answer such weeks."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = today
    if not in_calendar(day):
        day = today
    return day - timedelta(days=day.weekday())


def _sessions(actor: Actor):
    return ClassSession.objects.filter(access_staff_scope(actor, "staff_id"), company=actor.company)


@office_view
def classes(request, actor: Actor):
    zone = actor.company.zone
    today = timezone.localdate(timezone.now(), zone)
    monday = _monday(request.GET.get("week", ""), today)
    start = datetime.combine(monday, time(0), zone)
    rows = list(
        _sessions(actor)
        .filter(start__gte=start, start__lt=start + timedelta(days=7))
        .select_related("service", "staff", "location")
        .annotate(taken=seats_taken_subquery())
        .order_by("start", "id")
    )
    form, errors = {}, {}
    may_plan = access_allows(access_manage_sessions, actor)
    if request.method == "POST":
        access_manage_sessions(actor)
        form = request.POST
        start_at = aware_start(form.get("start", ""), ZoneInfo(actor.company.timezone))
        values: dict[str, Any] = {
            "service": form.get("service") or None,
            "staff": form.get("staff") or None,
            "start": start_at,
            "capacity": int(form["capacity"])
            if form.get("capacity", "").isdigit()
            else form.get("capacity"),
            "online": form.get("online") == "on",
        }
        duration = form.get("duration", "")
        if re.fullmatch(r"[0-9]+", duration) and start_at is not None and in_calendar(start_at):
            # A start outside the calendar is session_create's to refuse; a length past
            # the longest session counts as a minute past it (session_create refuses it
            # all the same), so no number of digits overflows the sum or int().
            too_long = SESSION_MAX + timedelta(minutes=1)
            length = timedelta(minutes=int(duration)) if len(duration) <= 5 else too_long
            values["end"] = start_at + min(length, too_long)
        try:
            session = bookings.session_create(
                company=actor.company, fields=bookings.SessionFields(**values)
            )
        except DomainError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("The session is in the timetable."))
            return redirect("office:class", session_id=session.pk)
    return render(
        request,
        "dashboard/classes.html",
        {
            "rows": rows,
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "may_plan": may_plan,
            "class_services": Service.objects.filter(
                company=actor.company, kind=ServiceKind.CLASS, active=True
            ).order_by("name"),
            "staff": StaffMember.objects.filter(company=actor.company, active=True).order_by(
                "name"
            ),
            "form": form,
            "errors": errors,
            "online_meetings": actor.company.online_meetings_enabled,
            "page": "classes",
        },
        status=422 if errors else 200,
    )


def _session(actor: Actor, session_id: int) -> ClassSession:
    session = access_company_row(actor, ClassSession, session_id)
    if not access_sees_staff(actor, session.staff_id):
        raise NotFound()
    return session


@office_view
def class_session(request, actor: Actor, session_id: int):
    session = _session(actor, session_id)
    participants = list(
        access_bookings(actor).filter(session=session).order_by("status", "last_name", "first_name")
    )
    return render(
        request,
        "dashboard/class.html",
        {
            "session": session,
            "participants": participants,
            "active": [p for p in participants if p.status in ACTIVE_STATUSES],
            "taken": seats_taken_by_session([session]).get(session.pk, 0),
            "may_plan": access_allows(access_manage_sessions, actor),
            "pending": PaymentStatus.PENDING,
            "history": history(CLASS_SESSION, session.pk, sources=(ClassSession,)),
            "page": "classes",
        },
    )


@office_view
@require_POST
def class_action(request, actor: Actor, session_id: int, action: str):
    session = _session(actor, session_id)
    try:
        if action == "paid":
            booking = (
                access_bookings(actor)
                .filter(session=session, pk=request.POST.get("booking"))
                .first()
            )
            if booking is None:
                raise Http404()
            access_record_payments(actor)
            payment_received(booking=booking, actor=request.user, now=timezone.now())
            messages.success(
                request, _("Payment recorded: the participant gets the meeting link by email.")
            )
        elif action == "add":
            bookings.booking_create(
                company=actor.company,
                service=session.service,
                start=None,
                session_id=session.pk,
                details=bookings.CustomerDetails(
                    first_name=request.POST.get("first_name", ""),
                    last_name=request.POST.get("last_name", ""),
                    email=request.POST.get("email", ""),
                    phone=request.POST.get("phone", ""),
                ),
                source=BookingSource.STAFF,
                public=False,
            )
            messages.success(request, _("The participant is booked."))
        elif action == "cancel":
            access_manage_sessions(actor)
            bookings.session_cancel(session=session)
            messages.success(request, _("The session is cancelled; its participants are told."))
        else:
            raise Http404()
    except DomainError as exc:
        messages.error(request, exc.reason)
    return redirect("office:class", session_id=session.pk)
